"""Input shape only. The rules live in policy.py and are enforced by services.py."""

import datetime as dt

from django import forms

from accounts.models import User
from calls.platform_settings import REQUIRED, recording_item_label
from calls.policy import LONDON, local
from school.models import Guardian
from toolkit.forms import DateInput, TimeInput

from .choices import Attendance, ContactMethod, NumberUsed, PreferredMethod, UnacceptableUse
from .services import LogInput

YES_NO = [("yes", "Yes"), ("no", "No")]
TEXT_SHORT = {"rows": 2}


def _yes_no(label, help_text=""):
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
        coerce=lambda value: value == "yes",
        empty_value=None,
    )


def _answer(value) -> str | None:
    return None if value is None else ("yes" if value else "no")


class SessionLogForm(forms.Form):
    """LOG-1..LOG-3 on one page: pre-filled, so a typical log is a glance and one button."""

    started_at = forms.TimeField(label="Actual start (UK time)", widget=TimeInput())
    ended_at = forms.TimeField(label="Actual end (UK time)", widget=TimeInput())
    second_staff_present = _yes_no("Was the second member of staff present?")
    second_staff_absent_reason = forms.CharField(label="If not, why not", required=False, widget=forms.Textarea(attrs=TEXT_SHORT))
    spoke_to_parent_first = _yes_no("Did you speak first with the parent or carer?")
    parent_stayed = _yes_no("Did the parent or carer stay in the room for the whole call?")
    checklist_items = forms.MultipleChoiceField(
        label="Platform settings in place (from the host checklist)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(item.key, item.label) for item in REQUIRED],
    )
    recorded = forms.BooleanField(label="The session was recorded", required=False)
    unacceptable_use = forms.MultipleChoiceField(
        label="Unacceptable use seen (leave empty if none)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=UnacceptableUse.choices,
    )
    unacceptable_use_details = forms.CharField(
        label="What happened (unacceptable use)", required=False, widget=forms.Textarea(attrs=TEXT_SHORT)
    )
    notes = forms.CharField(label="Notes (optional)", required=False, widget=forms.Textarea(attrs=TEXT_SHORT))

    def __init__(self, *args, call, pupils, correcting=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.call, self.pupils = call, pupils
        if call.second_staff_id is None:
            del self.fields["second_staff_present"], self.fields["second_staff_absent_reason"]
        else:
            self.fields["second_staff_present"].label = f"Was {call.second_staff} (second member of staff) present?"
        if not call.is_one_to_one:
            del self.fields["spoke_to_parent_first"], self.fields["parent_stayed"]
        self.fields["recorded"].help_text = recording_item_label(call.record)
        for pupil in pupils:
            self.fields[f"pupil_{pupil.pk}"] = forms.ChoiceField(label=pupil.full_name, choices=Attendance.choices)
        if correcting:
            self.fields["reason"] = forms.CharField(label="What you corrected and why", widget=forms.Textarea(attrs=TEXT_SHORT))
        self.order_fields(["started_at", "ended_at", *[f"pupil_{p.pk}" for p in pupils]])

    SECTIONS = [
        ("When it happened", ["started_at", "ended_at"]),
        ("Pupils (from the join records: who opened their link)", None),
        ("Staff", ["second_staff_present", "second_staff_absent_reason"]),
        ("One-to-one: the parent or carer", ["spoke_to_parent_first", "parent_stayed"]),
        ("Platform settings and recording", ["checklist_items", "recorded"]),
        ("Unacceptable use", ["unacceptable_use", "unacceptable_use_details"]),
        ("Notes", ["notes", "reason"]),
    ]

    def sections(self) -> list[tuple[str, list]]:
        """The form in short groups with a legend each, so it reads quickly on a phone."""
        found = []
        for legend, names in self.SECTIONS:
            names = names if names is not None else [f"pupil_{p.pk}" for p in self.pupils]
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                found.append((legend, fields))
        return found

    @staticmethod
    def initial_from(*, started_at, ended_at, attendance: dict, **content) -> dict:
        """Form initial values from a pre-fill or the log as it stands."""
        initial = {"started_at": local(started_at).time(), "ended_at": local(ended_at).time(), **content}
        for key in ("second_staff_present", "spoke_to_parent_first", "parent_stayed"):
            if key in initial:
                initial[key] = _answer(initial[key])
        initial.update({f"pupil_{pk}": outcome for pk, outcome in attendance.items()})
        return initial

    def _at(self, value: dt.time) -> dt.datetime:
        return dt.datetime.combine(local(self.call.starts_at).date(), value, tzinfo=LONDON)

    def to_input(self) -> LogInput:
        data = self.cleaned_data
        return LogInput(
            started_at=self._at(data["started_at"]),
            ended_at=self._at(data["ended_at"]),
            attendance={p.pk: data[f"pupil_{p.pk}"] for p in self.pupils},
            second_staff_present=data.get("second_staff_present"),
            second_staff_absent_reason=data.get("second_staff_absent_reason", ""),
            spoke_to_parent_first=data.get("spoke_to_parent_first"),
            parent_stayed=data.get("parent_stayed"),
            recorded=data["recorded"],
            checklist_items=data["checklist_items"],
            unacceptable_use=data["unacceptable_use"],
            unacceptable_use_details=data["unacceptable_use_details"],
            notes=data["notes"],
        )


class AnnotationForm(forms.Form):
    text = forms.CharField(label="Note to add to this log", widget=forms.Textarea(attrs={"rows": 3}))


class WelfareContactForm(forms.Form):
    """LOG-5: a phone call or home visit, as it happened."""

    method = forms.ChoiceField(label="How", choices=ContactMethod.choices, widget=forms.RadioSelect)
    guardian = forms.ModelChoiceField(
        label="Spoke with", queryset=Guardian.objects.none(), required=False, empty_label="Nobody answered / nobody at home"
    )
    contacted_on = forms.DateField(label="Date", widget=DateInput())
    contacted_time = forms.TimeField(label="Time (UK)", widget=TimeInput())
    duration_minutes = forms.IntegerField(label="Length (minutes)", min_value=1, max_value=600)
    number_used = forms.ChoiceField(
        label="Phone calls: the number you called from",
        required=False,
        widget=forms.RadioSelect,
        choices=[("", "Not a phone call"), *NumberUsed.choices],
        help_text="Calls come from a 'private' number so personal details are never shown; a school phone where possible.",
    )
    staff = forms.ModelChoiceField(label="Member of staff who made the contact", queryset=User.objects.none())
    outcome = forms.CharField(label="Outcome", widget=forms.Textarea(attrs={"rows": 3}))
    safeguarding_follow_up = forms.BooleanField(
        label="This is a safeguarding follow-up (DSL team only; may fall outside school hours)", required=False
    )

    def __init__(self, *args, pupil, may_mark_follow_up: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guardian"].queryset = Guardian.objects.filter(guardianships__pupil=pupil).distinct()
        self.fields["staff"].queryset = User.objects.filter(staff_roles__isnull=False, is_active=True).distinct()
        if not may_mark_follow_up:
            del self.fields["safeguarding_follow_up"]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        day, time = data.pop("contacted_on"), data.pop("contacted_time")
        data["contacted_at"] = dt.datetime.combine(day, time, tzinfo=LONDON)
        data.setdefault("safeguarding_follow_up", False)
        return data


class ContactPreferenceForm(forms.Form):
    method = forms.ChoiceField(label="What suits this child and family", choices=PreferredMethod.choices)
    notes = forms.CharField(
        label="Notes (e.g. best times, who to ask for)", required=False, widget=forms.Textarea(attrs=TEXT_SHORT)
    )
