"""Input shape only. The rules live in policy.py and are enforced by services.py."""

from django import forms

from school.permissions import pupils_visible_to
from toolkit.forms import SafeModelMultipleChoiceField

from .permissions import relevant_staff
from .recipients import family_recipients

PUPIL_ADDRESS = "pupil"


class StaffChoiceField(SafeModelMultipleChoiceField):
    """Colleagues to copy in; ids out of any column's range are refused, not queried."""


class ChoosePupilForm(forms.Form):
    pupil = forms.ModelChoiceField(queryset=None, label="Which pupil is the message about?", empty_label="Choose a pupil")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pupil"].queryset = pupils_visible_to(user).on_roll().order_by("last_name", "first_name")


class StaffMessageForm(forms.Form):
    recipient = forms.ChoiceField(label="Send to", widget=forms.RadioSelect)
    cc_staff = StaffChoiceField(
        queryset=None,
        required=False,
        label="Copy in colleagues",
        help_text="Required when writing to a pupil's own email address: copy in another member of staff who works with them.",
        widget=forms.CheckboxSelectMultiple,
    )
    subject = forms.CharField(max_length=200)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 8}), max_length=10000)

    def __init__(self, *args, pupil, author, **kwargs):
        super().__init__(*args, **kwargs)
        self.guardians = {str(g.pk): g for g in family_recipients(pupil)}
        choices = [(pk, f"{g.full_name} (parent/carer) – {g.email}") for pk, g in self.guardians.items()]
        if pupil.personal_email:
            choices.append((PUPIL_ADDRESS, f"{pupil.full_name}'s own address – {pupil.personal_email}"))
        self.fields["recipient"].choices = choices
        self.fields["cc_staff"].queryset = relevant_staff(pupil).exclude(pk=author.pk).order_by("last_name", "first_name")
        self.fields["cc_staff"].label_from_instance = lambda u: f"{u.get_full_name() or u.email} ({', '.join(u.role_labels())})"

    def guardian(self):
        """The chosen parent/carer, or None for the pupil's own address."""
        return self.guardians.get(self.cleaned_data["recipient"])
