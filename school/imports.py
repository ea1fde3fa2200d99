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

from .resources import GuardianResource, PupilResource

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
    """The rows of `text` under normalised headings, or UnreadableFile saying what is missing."""
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as e:
        raise UnreadableFile(f"The file could not be read as CSV ({e}).") from e
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise UnreadableFile("The file is empty.")
    headers = [_header(h) for h in rows[0]]
    resource = RESOURCES[kind]
    missing = [c for c in resource.COLUMNS if c not in headers]
    if missing:
        expected = ", ".join(resource.COLUMNS + resource.OPTIONAL)
        raise UnreadableFile(f"The first row must name the columns. Missing: {', '.join(missing)}. Expected: {expected}.")
    width = len(headers)
    body = [(r + [""] * width)[:width] for r in rows[1:]]
    return tablib.Dataset(*body, headers=headers)


def run(kind: str, text: str, *, dry_run: bool, imported_by, now) -> ImportReport:
    """Import `text` (or only try to, with dry_run). Any bad row rolls every row back."""
    dataset = read_dataset(kind, text)
    resource = RESOURCES[kind]()
    result = resource.import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True, imported_by=imported_by, now=now
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
        number=number + 1,
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
