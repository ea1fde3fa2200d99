"""Input shapes only; the rules live in policy.py and are enforced by services.py."""

from django import forms

from school.models import Guardian, SchoolClass

from .choices import Decision, Method, Scope
from .models import FamilyQuestion, FamilyQuestionReply
from .policy import STAFF_ENTRY_METHODS


class ConfirmDecisionForm(forms.Form):
    """The confirmation page: carries the policy and guidance versions the parent was shown."""

    policy_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    guidance_version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class StaffDecisionForm(forms.Form):
    """CON-4: a decision a parent gave by phone, on paper or via the blog, entered by staff."""

    guardian = forms.ModelChoiceField(queryset=Guardian.objects.none(), label="Parent or carer who decided", empty_label=None)
    scope = forms.ChoiceField(choices=Scope.choices, label="Consent for")
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    method = forms.ChoiceField(
        choices=[(m.value, m.label) for m in Method if m in STAFF_ENTRY_METHODS], label="How did they tell the school?"
    )

    def __init__(self, *args, pupil, **kwargs):
        super().__init__(*args, **kwargs)
        # Only guardians with parental responsibility for THIS pupil can be picked (a tampered id is refused).
        self.fields["guardian"].queryset = Guardian.objects.filter(
            guardianships__pupil=pupil, guardianships__parental_responsibility=True
        ).order_by("last_name", "first_name")


class AcknowledgeForm(forms.Form):
    """Which document, and for which child (empty: for yourself)."""

    document = forms.IntegerField(widget=forms.HiddenInput)
    pupil = forms.IntegerField(required=False, widget=forms.HiddenInput)


class QuestionForm(forms.ModelForm):
    class Meta:
        model = FamilyQuestion
        fields = ["subject", "text"]
        labels = {"subject": "Subject", "text": "Your question, thought or concern"}
        help_texts = {"text": "The school office and the headteacher will read this and reply here in the portal."}
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}


class ReplyForm(forms.ModelForm):
    class Meta:
        model = FamilyQuestionReply
        fields = ["text"]
        labels = {"text": "Your reply"}
        help_texts = {"text": "The parent or carer is emailed that a reply is waiting; the email does not contain the reply."}
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}


class ConsentRequestForm(forms.Form):
    school_class = forms.ModelChoiceField(
        queryset=SchoolClass.objects.all(),
        required=False,
        empty_label="The whole school",
        label="Send to the parents and carers of",
    )
