"""Input shape only. The rules live in policy.py; clean() calls them for early feedback."""

from django import forms

from accounts.choices import DSL_TEAM
from accounts.models import User
from school.models import Pupil
from toolkit.forms import MAX_ID, DateTimeLocalInput, SafeModelMultipleChoiceField

from . import policy
from .choices import ActionKind, ConcernKind, Outcome
from .selectors import State

DATETIME_INPUT = DateTimeLocalInput(attrs={"class": "form-control"})


class PupilChoiceField(SafeModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} ({obj.school_class})" if obj.school_class_id else obj.full_name


class RaiseConcernForm(forms.Form):
    pupils = PupilChoiceField(
        label="Pupils involved",
        queryset=Pupil.objects.none(),
        help_text="Type part of a name to find a pupil; choose as many as are involved. Only pupils on roll are listed.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the pupil or pupils the concern is about"},
    )
    kind = forms.ChoiceField(
        label="What kind of concern",
        choices=ConcernKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of concern it is"},
    )
    happened_at = forms.DateTimeField(
        label="When it happened",
        widget=DATETIME_INPUT,
        error_messages={"required": "Enter when it happened", "invalid": "Enter when it happened as a date and time"},
    )
    what_happened = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Facts: what you saw or heard, who was there.",
        error_messages={"required": "Write what happened: what you saw or heard, who was there"},
    )
    childs_words = forms.CharField(
        label="The child's own words",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed for a disclosure: write what the child said, as exactly as you can. Do not interpret.",
    )
    action_taken = forms.CharField(
        label="What you did straight away",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write what you did straight away (for example: told the DSL in person)"},
    )
    source_call_id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    source_log_id = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)

    def __init__(self, *args, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.fields["pupils"].queryset = Pupil.objects.on_roll().select_related("school_class")

    # Each SG-1 check and the fields it reads.
    RULE_NEEDS = {"pupils": ("pupils",), "childs_words": ("kind", "childs_words"), "happened_at": ("happened_at",)}

    def clean(self):
        """SG-1's checks, early (raise_concern applies them again). Issue 19, all errors in one pass:
        each check runs as soon as the fields it reads are valid, so a reporter who left "What
        happened" empty also learns, at once, that a disclosure needs the child's words."""
        data = super().clean()
        problems = policy.report_refusal(
            kind=data.get("kind", ""), pupil_count=len(data.get("pupils") or ()), childs_words=data.get("childs_words", ""),
            happened_at=data.get("happened_at") or self.now, now=self.now,
        )  # fmt: skip
        for field, message in problems.items():
            if all(name in data for name in self.RULE_NEEDS[field]) and not self.has_error(field):
                self.add_error(field, message)
        return data


class TextForm(forms.Form):
    text = forms.CharField(label="Further information", widget=forms.Textarea(attrs={"rows": 4}))


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))


class ActionForm(forms.Form):
    # No default: a DSL who forgets to choose must be asked, not recorded as having phoned the family.
    action = forms.ChoiceField(
        label="Action taken",
        choices=[("", "Choose the action"), *ActionKind.choices],
        error_messages={"required": "Choose the action taken"},
    )
    text = forms.CharField(
        label="Details of the action",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the details of the action: who, what was said or agreed"},
    )
    happened_at = forms.DateTimeField(
        label="When it happened (optional)",
        required=False,
        widget=DATETIME_INPUT,
        help_text="Leave empty if it happened just now.",
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=Outcome.choices)
    text = forms.CharField(label="Closing notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CorrectionForm(forms.Form):
    text = forms.CharField(
        label="Correction",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The original entry stays; this is added after it.",
    )


class AbsenceForm(forms.Form):
    user = forms.ModelChoiceField(label="Who is unavailable", queryset=User.objects.none())
    starts_at = forms.DateTimeField(label="From", widget=DATETIME_INPUT)
    ends_at = forms.DateTimeField(label="Until", widget=DATETIME_INPUT)
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(staff_roles__role__in=DSL_TEAM, is_active=True).distinct()

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The end must be after the start.")
        return data


STATE_CHOICES = [("", "Any state")] + [(key, label) for key, label in State.LABELS.items()]


class DashboardFilterForm(forms.Form):
    # A name search, not a list of pupils: a select of every pupil ever in a concern grows with
    # the school's history and was most of the page's time.
    name = forms.CharField(
        label="Pupil's name", required=False, max_length=100, help_text="Part of a first or last name, or an MIS id."
    )
    # From links to one pupil's concerns (kept in the form so filtering again keeps it).
    pupil = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label="Kind", choices=[("", "Any kind"), *ConcernKind.choices], required=False)
    state = forms.ChoiceField(label="State", choices=STATE_CHOICES, required=False)
