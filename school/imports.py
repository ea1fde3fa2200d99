"""Reading an MIS export and describing, in plain words, what importing it would do.

The flow (school.views): upload -> preview (a dry run inside a rolled-back transaction)
-> confirm (the same text imported for real, refused if any row is wrong).
"""

import csv
import hashlib
import io
from dataclasses import dataclass, field

import tablib
from django.core.exceptions import NON_FIELD_ERRORS

from . import mis_layouts
from .models import Pupil
from .resources import GuardianResource, PupilResource, UKDateWidget

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

    all_or_nothing=False (the sync): the good rows are saved and the bad ones reported."""
    kind = dataset.kind
    resource = RESOURCES[kind]()
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        use_transactions=True,
        rollback_on_validation_errors=all_or_nothing,
        imported_by=imported_by,
        now=now,
    )
    rows = [_row_report(i, row_result, dataset, resource) for i, row_result in enumerate(result.rows, 1)]
    counts = {}
    for row in rows:
        counts[row.action] = counts.get(row.action, 0) + 1
    problems = [str(error.error) for error in result.base_errors]
    return ImportReport(kind=kind, rows=rows, problems=problems, counts=counts)


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
