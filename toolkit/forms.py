"""Form pieces every app shares."""

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.utils import pretty_name
from django.utils.text import capfirst

# The largest id a database column (bigint) can hold.
MAX_ID = 2**63 - 1
_BIGINT = range(-(2**63), 2**63)


class SafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses ids no database column can hold before querying (SQLite raises OverflowError on
    them, which would be a 500 instead of "not one of the choices")."""

    def _check_values(self, value):
        for pk in value:
            try:
                valid = int(str(pk)) in _BIGINT
            except ValueError:
                valid = True  # the parent class reports it as an invalid value
            if not valid:
                raise forms.ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk})
        return super()._check_values(value)


# --- Bounded input (docs/trust-input.md) ---------------------------------------------------------
# Every number and date read from a URL or a form goes through one of these, so a value no school
# would type (a 20-digit id, '²', the year 9999) is refused with a message instead of reaching
# int(), date arithmetic or a database column that cannot hold it.

# The dates a school's records can plausibly be about: the oldest audit entries and pupils' pasts
# on one side, terms planned years ahead on the other. Date arithmetic (+1 day, the end of a week,
# a call's end) stays far from the calendar's edges (0001-01-01, 9999-12-31).
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)
DATE_OUT_OF_RANGE = "Enter a date between 2000 and 2099."


class IdField(forms.IntegerField):
    """A record number from a link (?class=7): a positive whole number a bigint column can hold."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("required", False)
        kwargs.setdefault("error_messages", {"invalid": "Enter a record number.", "min_value": "Enter a record number.",
                                             "max_value": "There is no record with that number."})  # fmt: skip
        super().__init__(**kwargs)

    def to_python(self, value):
        # ASCII digits only: int() reads '١٢' as 12, but no link the portal writes holds one.
        if isinstance(value, str) and value.strip() and not value.strip().isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class SchoolDateField(forms.DateField):
    """A date within EARLIEST_DATE..LATEST_DATE."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators += [
            MinValueValidator(EARLIEST_DATE, message=DATE_OUT_OF_RANGE),
            MaxValueValidator(LATEST_DATE, message=DATE_OUT_OF_RANGE),
        ]


class SearchField(forms.CharField):
    """Words typed into a search box: at most 100 characters, no NUL (PostgreSQL refuses it)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)


def query_value(request, name, field):
    """One query-string parameter cleaned by `field`: (value, error). A missing or empty parameter is
    (None, None); a bad one is (None, the field's message) for the page to show."""
    raw = request.GET.get(name, "")
    if raw in ("", None):
        return None, None
    try:
        return field.clean(raw), None
    except forms.ValidationError as error:
        return None, error.messages[0]


def plausible_date(value: dt.date) -> bool:
    """For services and policy: a date inside the school window (a form may not have checked it)."""
    return EARLIEST_DATE <= value <= LATEST_DATE


# --- The browser's own date and time pickers -------------------------------------------------
# An <input type="date"> accepts only an ISO value (2026-11-20) and shows a blank box for any
# other; Django would otherwise render the school's en-GB input format (20/11/2026), so an edit
# page showed the saved date as empty and saving it erased the date (issue 17). Every date,
# time and datetime-local input in the portal uses one of these, whatever format is passed.

ISO_DATE = "%Y-%m-%d"
ISO_TIME = "%H:%M"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format=None):  # noqa: A002 -- Django's own argument name
        super().__init__(attrs, format=ISO_DATE)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None, format=None):  # noqa: A002
        super().__init__(attrs, format=ISO_TIME)


class DateTimeLocalInput(forms.DateTimeInput):
    """A date and time on the wall clock, in the current time zone (Europe/London)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format=None):  # noqa: A002
        super().__init__(attrs, format=ISO_DATETIME_LOCAL)


# --- Required-field messages (GOV.UK error messages) ---------------------------------------------
# Specific words instead of "This field is required." on every form: every bound form rewrites the
# untouched default after cleaning into one that names the field and the action: "Enter ...",
# "Choose ...", "Tick ...", "Choose a file for ...". A field that sets its own `required` message
# keeps it.
#
# Why a patch of Django's BaseForm.full_clean and not a base class: the forms people fill in are not
# all ours. allauth's sign-in, password and two-factor forms, Django admin's login and change forms
# and import-export's admin forms would each need a subclass wired in through its own setting
# (ACCOUNT_FORMS, MFA_FORMS, AdminSite.login_form, ModelAdmin.form, ...), and any one missed would
# silently go back to "This field is required.". A base class for our forms beside the patch for
# theirs would be two mechanisms; the patch alone is one, installed once.

DEFAULT_REQUIRED = forms.Field.default_error_messages["required"]

CHOICE_WIDGETS = (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple, forms.SelectMultiple)


def _label(form, name, field) -> str:
    label = str(field.label if field.label is not None else pretty_name(name)).rstrip(":").strip()
    # "Start time (UK time)" -> "start time (UK time)"; keep words that are all capitals (DSL, URL).
    first = label.split(" ", 1)[0]
    return label if first.isupper() and len(first) > 1 else label[:1].lower() + label[1:]


def required_message(form, name, field) -> str:
    label = _label(form, name, field)
    if isinstance(field, forms.BooleanField):
        return capfirst(f"tick the box: {label}")
    if isinstance(field, forms.FileField):
        return f"Choose a file for {label}"
    if isinstance(field.widget, CHOICE_WIDGETS) or isinstance(field, forms.ChoiceField):
        return f"Choose {label}"
    return f"Enter {label}"


def _specific(error, message):
    if error.code == "required" and str(error.message) == str(DEFAULT_REQUIRED):
        return forms.ValidationError(message, code="required")
    return error


def rewrite_required_messages(form) -> None:
    for name, errors in list(form._errors.items()):
        field = form.fields.get(name)
        if field is None:
            continue
        message = required_message(form, name, field)
        form._errors[name] = form.error_class([_specific(error, message) for error in errors.as_data()], renderer=form.renderer)


def install_required_messages() -> None:
    """Called once from PortalConfig.ready() (the shell, which knows every app): wraps BaseForm.full_clean."""
    if getattr(forms.BaseForm.full_clean, "_guided", False):
        return
    original = forms.BaseForm.full_clean

    def full_clean(self):
        original(self)
        if self._errors:
            rewrite_required_messages(self)

    full_clean._guided = True
    forms.BaseForm.full_clean = full_clean
