"""Form pieces every app shares."""

from django import forms

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
