"""Input shape only: the audit search and the overview's term choice."""

from django import forms

from toolkit.forms import DateInput, IdField, SchoolDateField

DATE_INPUT = DateInput()


class AuditSearchForm(forms.Form):
    actor_email = forms.EmailField(label="Person (email address)", required=False)
    content_type = forms.ChoiceField(label="Record type", required=False)
    object_id = IdField(label="Record number")
    # Bounded (toolkit.forms): the search adds a day to the end date, which 9999-12-31 cannot take.
    date_from = SchoolDateField(label="From", required=False, widget=DATE_INPUT)
    date_to = SchoolDateField(label="To", required=False, widget=DATE_INPUT)

    def __init__(self, *args, record_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._types = {str(ct.pk): ct for ct in record_types}
        choices = [("", "Any record")] + [(str(ct.pk), f"{ct.app_label}: {ct.name}") for ct in record_types]
        self.fields["content_type"].choices = choices

    def clean_content_type(self):
        value = self.cleaned_data["content_type"]
        return self._types.get(value) if value else None

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date must be on or after the start date.")
        if data.get("object_id") and not data.get("content_type"):
            self.add_error("content_type", "Choose the record type of that record number.")
        return data


class TermChoiceForm(forms.Form):
    term = forms.ChoiceField(label="Term", required=False, widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].choices = [(str(t.pk), str(t)) for t in terms]
