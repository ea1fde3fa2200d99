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
