"""CSV import of pupils and guardians as a school MIS exports them (django-import-export).

Rows are keyed on the MIS id, and unchanged rows are skipped, so importing the same file
twice changes nothing. Every cell problem is raised as a ValueError or ValidationError in
plain words; school.imports turns them into "Row 4: ..." lines for the preview.

A resource only maps a row to a model's fields and says which rows were saved. What a saved row
means beyond its own fields (a new class, the guardian's link to the child, an account and its
invitation, the guardianships_changed event) is written by school.imports, in the import's one
transaction, never inside import-export's hooks.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.results import RowResult

from accounts.models import User

from .models import Guardian, Guardianship, Pupil, SchoolClass

# Day first, as UK MIS exports write dates; ISO dates are accepted too. Never month first.
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")
YES = {"yes", "y", "true", "t", "1"}
NO = {"no", "n", "false", "f", "0"}


class UKDateWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return None
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
            except ValueError:
                continue
        raise ValueError(f"'{text}' is not a date; write it as DD/MM/YYYY, for example 17/05/2018.")

    def render(self, value, obj=None, **kwargs):
        return value.strftime("%d/%m/%Y") if value else ""


class TrimmedText(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return " ".join(str(value or "").split())


def class_name(value) -> str:
    return " ".join(str(value or "").split())


class ClassWidget(widgets.ForeignKeyWidget):
    """A class by name. A name the school does not have yet was made by school.imports before the
    rows are read (the preview says so), so here it is only looked up."""

    def __init__(self):
        super().__init__(SchoolClass, "name")

    def clean(self, value, row=None, **kwargs):
        name = class_name(value)
        return SchoolClass.objects.filter(name__iexact=name).first() if name else None


def yes_or_no(value) -> bool:
    text = str(value or "").strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValidationError({"parental_responsibility": f"'{value}' should be yes or no."})


class DirectoryResource(resources.ModelResource):
    """Shared behaviour: plain notes per row for the preview, the acting person from import_data()."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.notes: dict[int, list[str]] = {}

    def note(self, row_number, text):
        self.notes.setdefault(row_number, []).append(text)


class PupilResource(DirectoryResource):
    mis_id = fields.Field(attribute="mis_id", column_name="mis_id", widget=TrimmedText())
    first_name = fields.Field(attribute="first_name", column_name="first_name", widget=TrimmedText())
    last_name = fields.Field(attribute="last_name", column_name="last_name", widget=TrimmedText())
    date_of_birth = fields.Field(attribute="date_of_birth", column_name="date_of_birth", widget=UKDateWidget())
    school_class = fields.Field(attribute="school_class", column_name="class", widget=ClassWidget())
    personal_email = fields.Field(attribute="personal_email", column_name="personal_email", widget=TrimmedText())

    COLUMNS = ("mis_id", "first_name", "last_name", "date_of_birth", "class")
    OPTIONAL = ("personal_email",)

    class Meta:
        model = Pupil
        import_id_fields = ["mis_id"]
        fields = ["mis_id", "first_name", "last_name", "date_of_birth", "school_class", "personal_email"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True
        skip_html_diff = True

    def before_import(self, dataset, **kwargs):
        self.seen_ids = {}

    def before_import_row(self, row, row_number=None, **kwargs):
        mis_id = " ".join(str(row.get("mis_id") or "").split())
        row["mis_id"] = mis_id
        if not mis_id:
            raise ValidationError({"mis_id": "The MIS id is empty; every pupil needs one."})
        if mis_id in self.seen_ids:
            raise ValidationError({"mis_id": f"MIS id {mis_id} is on row {self.seen_ids[mis_id]} too."})
        # The row as the spreadsheet numbers it (school.imports adds _row; blank rows count).
        self.seen_ids[mis_id] = row.get("_row") or row_number + 1


@dataclass(frozen=True)
class SavedGuardianRow:
    """A guardian row import-export saved: what school.imports links and invites for it."""

    number: int  # import-export's row number, as RowReport and resource.notes count it
    guardian: Guardian
    pupil: Pupil
    relationship: str
    parental_responsibility: bool


class GuardianResource(DirectoryResource):
    """One row per guardian and child: a guardian of two children has two rows with one MIS id."""

    mis_id = fields.Field(attribute="mis_id", column_name="mis_id", widget=TrimmedText())
    first_name = fields.Field(attribute="first_name", column_name="first_name", widget=TrimmedText())
    last_name = fields.Field(attribute="last_name", column_name="last_name", widget=TrimmedText())
    email = fields.Field(attribute="email", column_name="email", widget=TrimmedText())
    phone = fields.Field(attribute="phone", column_name="phone", widget=TrimmedText())

    COLUMNS = ("mis_id", "first_name", "last_name", "email", "pupil_mis_id", "relationship", "parental_responsibility")
    OPTIONAL = ("phone",)

    class Meta:
        model = Guardian
        import_id_fields = ["mis_id"]
        fields = ["mis_id", "first_name", "last_name", "email", "phone"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True
        skip_html_diff = True
        store_instance = True  # after_import_row hands the saved guardian to school.imports

    def before_import(self, dataset, **kwargs):
        self.saved: list[SavedGuardianRow] = []
        # What the saved rows above this one will link and invite once school.imports writes them,
        # so a guardian's second row is judged as it will stand then (unchanged rows are skipped).
        self.links_coming: dict[tuple[str, int], tuple[str, bool]] = {}
        self.accounts_coming: set[str] = set()

    def before_import_row(self, row, row_number=None, **kwargs):
        row["mis_id"] = " ".join(str(row.get("mis_id") or "").split())
        row["email"] = str(row.get("email") or "").strip().lower()
        # Every problem of the row at once, so the office fixes the file in one pass.
        problems = {}
        if not row["mis_id"]:
            problems["mis_id"] = "The MIS id is empty; every guardian needs one."
        pupil_id = str(row.get("pupil_mis_id") or "").strip()
        pupil = Pupil.objects.filter(mis_id=pupil_id).first() if pupil_id else None
        if pupil is None:
            problems["pupil_mis_id"] = (
                f"There is no pupil with MIS id '{pupil_id}'. Import the pupils first."
                if pupil_id
                else "The pupil's MIS id is empty."
            )
        row["_pupil"] = pupil
        row["_relationship"] = " ".join(str(row.get("relationship") or "").split())[:50] or "Parent"
        try:
            row["_responsibility"] = yes_or_no(row.get("parental_responsibility"))
        except ValidationError as e:
            problems.update({k: v[0] for k, v in e.message_dict.items()})
        if problems:
            raise ValidationError(problems)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        return not (self._link_changes(instance, row) or self._needs_account(instance))

    def _link_changes(self, guardian, row) -> bool:
        if guardian.pk is None:
            return True
        wanted = (row["_relationship"], row["_responsibility"])
        coming = self.links_coming.get((guardian.mis_id, row["_pupil"].pk))
        if coming is not None:
            return coming != wanted
        link = Guardianship.objects.filter(guardian=guardian, pupil=row["_pupil"]).first()
        return link is None or (link.relationship, link.parental_responsibility) != wanted

    def _needs_account(self, guardian) -> bool:
        return bool(guardian.email) and guardian.user_id is None and guardian.mis_id not in self.accounts_coming

    def after_import_row(self, row, row_result, row_number=None, **kwargs):
        """Only remembers the saved row (school.imports writes what it means, after import-export)."""
        if row_result.import_type not in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE):
            return
        guardian = row_result.instance
        self.saved.append(SavedGuardianRow(row_number, guardian, row["_pupil"], row["_relationship"], row["_responsibility"]))
        self.links_coming[(guardian.mis_id, row["_pupil"].pk)] = (row["_relationship"], row["_responsibility"])
        if self._needs_account(guardian) and not User.objects.filter(email__iexact=guardian.email).exists():
            self.accounts_coming.add(guardian.mis_id)
