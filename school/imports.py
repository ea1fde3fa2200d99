"""Reading an MIS export, importing it, and describing in plain words what importing it would do.

The flow (school.views): upload -> preview (a dry run inside a rolled-back transaction)
-> confirm (the same text imported for real, refused if any row is wrong).

import-export maps each row to a Pupil or Guardian and saves it (school.resources); every other
write an import makes is here, in the same transaction: classes the school does not have yet
(before the rows are read), and for each saved guardian row the link to the child, the
guardianships_changed event (CON-5) and a new account with its invitation.
"""

import csv
import hashlib
import io
from dataclasses import dataclass, field

import tablib
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction

from accounts.models import User
from accounts.services import send_invitation

from . import events, mis_layouts
from .models import Guardianship, Pupil, SchoolClass
from .resources import GuardianResource, PupilResource, SavedGuardianRow, UKDateWidget, class_name

RESOURCES = {"pupils": PupilResource, "guardians": GuardianResource}
KIND_LABELS = {"pupils": "pupils", "guardians": "guardians"}
MAX_BYTES = 1_000_000  # a whole school's export is far smaller; the text is kept in the session
# Field names in import-export's errors, as the file's columns call them.
COLUMN_OF = {"school_class": "class", "_pupil": "pupil_mis_id"}
PLAIN = {
    "blank": "is empty; every row needs one.",
    "null": "is empty; every row needs one.",
    "required": "is empty; every row needs one.",
}
ACTIONS = {"new": "New", "update": "Changed", "skip": "No change", "invalid": "Not imported", "error": "Not imported"}


class UnreadableFile(Exception):
    """The file is not a CSV we can read; the text says why, for the person who sent it."""


@dataclass
class RowReport:
    number: int  # as a spreadsheet counts: the heading row is row 1
    action: str
    name: str = ""
    notes: list = field(default_factory=list)
    errors: list = field(default_factory=list)


@dataclass
class ImportReport:
    kind: str
    rows: list
    problems: list  # whole-file problems
    counts: dict

    @property
    def error_rows(self):
        return [r for r in self.rows if r.errors]

    @property
    def good_rows(self):
        return [r for r in self.rows if not r.errors]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.error_rows

    @property
    def changes_anything(self) -> bool:
        return self.counts.get("New", 0) + self.counts.get("Changed", 0) > 0


def decode_upload(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without the BOM Excel adds) or Windows-1252."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile("The file is larger than 1 MB. Export only pupils or guardians, as CSV.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("The file is not text. Export it from the MIS as CSV.")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _header(name) -> str:
    return "_".join(str(name or "").strip().lower().replace("-", " ").split())


def read_dataset(kind: str, text: str) -> tablib.Dataset:
    """The rows of `text` under the portal's column names, or UnreadableFile saying what is missing.

    Headings as SIMS, Arbor or Bromcom export them are renamed (school.mis_layouts), and the kind of
    file is read from them: `dataset.kind` may differ from `kind` (a contacts file chosen as pupils).
    Each row keeps its number as a spreadsheet shows it, blank rows counted, in the `_row` column."""
    try:
        records = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as e:
        raise UnreadableFile(f"The file could not be read as CSV ({e}).") from e
    numbered = [(n, r) for n, r in enumerate(records, 1) if any(cell.strip() for cell in r)]
    if not numbered:
        raise UnreadableFile("The file is empty.")
    (_, heading_row), body_rows = numbered[0], numbered[1:]
    headers = [_header(h) for h in heading_row]
    kind = mis_layouts.detect_kind(headers) or kind
    headers = mis_layouts.canonical_headers(kind, headers)
    resource = RESOURCES[kind]
    width = len(headers)
    body = [(r + [""] * width)[:width] for _, r in body_rows]
    # A file with names but no id column (a Bromcom class list): each row gets a stable derived id.
    if "mis_id" not in headers and {"first_name", "last_name"} <= set(headers):
        headers, body = _with_derived_ids(kind, headers, body)
    missing = [c for c in resource.COLUMNS if c not in headers]
    if missing:
        raise UnreadableFile(
            f"The first row must name the columns. Missing: {', '.join(_with_aliases(kind, c) for c in missing)}. "
            f"The template for {KIND_LABELS[kind]} shows every column."
        )
    dataset = tablib.Dataset(*[[*row, n] for row, (n, _) in zip(body, body_rows, strict=True)], headers=[*headers, "_row"])
    dataset.kind = kind
    return dataset


def _with_aliases(kind, column) -> str:
    others = [a.replace("_", " ").title() for a in mis_layouts.ALIASES[kind].get(column, [])[1:4]]
    return f"{column} (or {', '.join(others)})" if others else column


def _with_derived_ids(kind, headers, body):
    at = {name: headers.index(name) for name in headers}
    derived = []
    for row in body:
        first, last = row[at["first_name"]], row[at["last_name"]]
        if kind == "pupils":
            born = row[at["date_of_birth"]] if "date_of_birth" in at else ""
            try:
                born_on = UKDateWidget().clean(born)
            except ValueError:
                born_on = None
            # The same child already in the portal (by legal name and date of birth) keeps their id.
            same = Pupil.objects.filter(first_name__iexact=first.strip(), last_name__iexact=last.strip(), date_of_birth=born_on)
            found = same.values_list("mis_id", flat=True).first() if born_on else None
            derived.append(found or mis_layouts.derived_id(kind, first, last, born_on or born))
        else:
            email = row[at["email"]] if "email" in at else ""
            derived.append(mis_layouts.derived_id(kind, first, last, email))
    return ["mis_id", *headers], [[d, *row] for d, row in zip(derived, body, strict=True)]


def run(kind: str, text: str, *, dry_run: bool, imported_by, now, leave_out=frozenset()) -> ImportReport:
    """Import `text` (or only try to, with dry_run). Any bad row rolls every row back.

    leave_out: spreadsheet row numbers not to import (the office chose to import the good rows only)."""
    dataset = read_dataset(kind, text)
    if leave_out:
        kept = tablib.Dataset(*[r for r in dataset if r[-1] not in leave_out], headers=dataset.headers)
        kept.kind, dataset = dataset.kind, kept
    return run_dataset(dataset, dry_run=dry_run, imported_by=imported_by, now=now)


def run_dataset(dataset: tablib.Dataset, *, dry_run: bool, imported_by, now, all_or_nothing=True) -> ImportReport:
    """Import rows already under the portal's column names (CSV upload and the Wonde sync share this).

    all_or_nothing=False (the sync): the good rows are saved and the bad ones reported.
    One transaction: a dry run, or a refused all-or-nothing import, writes nothing at all."""
    kind = dataset.kind
    resource = RESOURCES[kind]()
    with transaction.atomic():
        new_classes = add_new_classes(dataset) if kind == "pupils" else {}
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            use_transactions=True,
            rollback_on_validation_errors=all_or_nothing,
            imported_by=imported_by,
            now=now,
        )
        # import-export rolled its own rows back; what was written around them goes too.
        rolled_back = dry_run or result.has_errors() or (all_or_nothing and result.has_validation_errors())
        if kind == "guardians":  # rolled back: nothing to link, but the preview still says what would happen
            for number, note in link_guardians(resource.saved, dry_run=rolled_back, imported_by=imported_by, now=now):
                resource.note(number, note)
        if rolled_back:
            transaction.set_rollback(True)
    for number, name in new_classes.items():
        resource.notes.setdefault(number, []).insert(0, f"New class: {name}")
    rows = [_row_report(i, row_result, dataset, resource) for i, row_result in enumerate(result.rows, 1)]
    counts = {}
    for row in rows:
        counts[row.action] = counts.get(row.action, 0) + 1
    problems = [str(error.error) for error in result.base_errors]
    return ImportReport(kind=kind, rows=rows, problems=problems, counts=counts)


def add_new_classes(dataset: tablib.Dataset) -> dict[int, str]:
    """Classes the pupil rows name that the school does not have yet, made now so the rows can refer
    to them: {import-export's number of the first row naming each: its name}, for the preview."""
    made: dict[int, str] = {}
    if "class" not in dataset.headers:
        return made
    seen_ids = set()
    for number, (mis_id, value) in enumerate(zip(dataset["mis_id"], dataset["class"], strict=True), 1):
        mis_id = " ".join(str(mis_id or "").split())
        if not mis_id or mis_id in seen_ids:
            continue  # a row refused before its class is read (PupilResource.before_import_row)
        seen_ids.add(mis_id)
        name = class_name(value)
        if name and not SchoolClass.objects.filter(name__iexact=name).exists():
            SchoolClass.objects.create(name=name)
            made[number] = name
    return made


def link_guardians(saved: list[SavedGuardianRow], *, dry_run: bool, imported_by, now) -> list[tuple[int, str]]:
    """For each guardian row import-export saved, in file order: the link to the child with the
    relationship and parental responsibility, the event that lets consent follow (CON-5), and an
    account for a guardian with an address and none yet. Returns (row number, note) for the preview.
    A dry run writes nothing and only says what would happen."""
    notes = []
    given: set[str] = set()  # a guardian on two rows gets one account, on the first
    taken: set[str] = set()  # addresses given an account above (a dry run makes none to find)
    for row in saved:
        guardian = row.guardian
        if not dry_run:
            Guardianship.objects.update_or_create(
                guardian=guardian,
                pupil=row.pupil,
                defaults={"relationship": row.relationship, "parental_responsibility": row.parental_responsibility},
            )
            # Whose decisions count for this child may have changed (CON-5): consent's stored state follows.
            events.guardianships_changed.send(sender=Guardianship, pupil_ids=[row.pupil.pk])
        if guardian.email and guardian.user_id is None and guardian.mis_id not in given:
            note, gave = _give_account(guardian, dry_run=dry_run, imported_by=imported_by, now=now, taken=taken)
            notes.append((row.number, note))
            if gave:
                given.add(guardian.mis_id)
                taken.add(guardian.email.lower())
    return notes


def _give_account(guardian, *, dry_run: bool, imported_by, now, taken: set[str]) -> tuple[str, bool]:
    """A new account for the guardian, invited to the school's address for them; never an existing one.

    An account that already signs in with this address is NOT attached (issue 16): the address
    alone proves nothing about who holds that account (a member of staff, another family, a
    parent who claimed it). The guardian is imported without an account and the office is
    asked to resolve it; the rest of the file imports as normal.
    """
    if guardian.email.lower() in taken or User.objects.filter(email__iexact=guardian.email).exists():
        return (
            f"Needs the office: {guardian.email} already signs in to another account, so this guardian was"
            " imported without an account and nothing was linked. Check the address with the family, correct"
            " it in the MIS and import again."
        ), False
    if not dry_run:
        user = User.objects.create_user(email=guardian.email, first_name=guardian.first_name, last_name=guardian.last_name)
        send_invitation(user=user, invited_by=imported_by, now=now)
        guardian.user = user
        guardian.save(update_fields=["user"])
    return "New account: an invitation email will be sent", True


def _row_report(number, row_result, dataset, resource) -> RowReport:
    values = dict(zip(dataset.headers, dataset[number - 1], strict=False))
    report = RowReport(
        number=values.get("_row") or number + 1,
        action=ACTIONS.get(row_result.import_type, row_result.import_type),
        name=f"{values.get('first_name', '')} {values.get('last_name', '')}".strip(),
        notes=resource.notes.get(number, []),
    )
    if row_result.validation_error is not None:
        report.errors = _plain_errors(row_result.validation_error)
    report.errors += [f"This row could not be read: {e.error}" for e in row_result.errors]
    if report.errors:
        report.notes = []
    return report


def _plain_errors(error) -> list[str]:
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    found = []
    for name, errors in error.error_dict.items():
        column = COLUMN_OF.get(name, name)
        for e in errors:
            if name == NON_FIELD_ERRORS:
                found.append(" ".join(e.messages))
            elif e.code in PLAIN:
                found.append(f"{column} {PLAIN[e.code]}")
            else:
                found.append(f"{column}: {' '.join(e.messages)}")
    return found
