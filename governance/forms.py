"""Input shapes for the governance pages. Rules live in governance.policy and services."""

from django import forms
from django.utils import timezone

from portal.forms import DateInput, IdField, SchoolDateField
from school.models import Pupil

from .models import PolicyVersion

DATE_INPUT = DateInput()


class PolicyVersionForm(forms.ModelForm):
    next_review_on = forms.DateField(
        label="Next review",
        required=False,
        widget=DATE_INPUT,
        help_text="Leave blank for a year after the governors' agreement.",
    )

    class Meta:
        model = PolicyVersion
        fields = ["version", "title", "text", "agreed_on", "shared_with_staff_on", "guidance_changed", "changes_summary"]
        widgets = {
            "agreed_on": DATE_INPUT,
            "shared_with_staff_on": DATE_INPUT,
            "text": forms.Textarea(attrs={"rows": 20}),
            "changes_summary": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "version": "A short name such as 2026-11.",
            "text": 'A blank line starts a new paragraph; start a line with "- " for a bullet point. HTML is shown as text.',
            "agreed_on": "Required before publishing.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["next_review_on"].initial = self.instance.next_review_on

    def validate_unique(self):
        pass  # the service refuses a duplicate version name with a message next to the form

    def version_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("next_review_on", None)
        return data


class AuditSearchForm(forms.Form):
    actor_email = forms.EmailField(label="Person (email address)", required=False)
    content_type = forms.ChoiceField(label="Record type", required=False)
    object_id = IdField(label="Record number")
    # Bounded (portal.forms): the search adds a day to the end date, which 9999-12-31 cannot take.
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


class LeaverForm(forms.Form):
    pupil = forms.ModelChoiceField(queryset=Pupil.objects.none(), label="Pupil")
    left_on = forms.DateField(label="Left on", widget=DATE_INPUT, help_text="Their last day at the school.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pupil"].queryset = Pupil.objects.on_roll().select_related("school_class")
        self.fields["pupil"].label_from_instance = lambda p: f"{p.full_name} ({p.school_class or 'no class'})"
        self.fields["left_on"].initial = timezone.localdate()


class TermChoiceForm(forms.Form):
    term = forms.ChoiceField(label="Term", required=False, widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].choices = [(str(t.pk), str(t)) for t in terms]
