"""Input shapes for the governance pages. Rules live in governance.policy and services."""

from django import forms
from django.utils import timezone

from school.models import Pupil
from toolkit.forms import DateInput

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


class LeaverForm(forms.Form):
    pupil = forms.ModelChoiceField(queryset=Pupil.objects.none(), label="Pupil")
    left_on = forms.DateField(label="Left on", widget=DATE_INPUT, help_text="Their last day at the school.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pupil"].queryset = Pupil.objects.on_roll().select_related("school_class")
        self.fields["pupil"].label_from_instance = lambda p: f"{p.full_name} ({p.school_class or 'no class'})"
        self.fields["left_on"].initial = timezone.localdate()
