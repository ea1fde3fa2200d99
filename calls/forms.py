"""Input shape only. The rules are in calls.policy and are applied by calls.services."""

import datetime as dt

from django import forms

from accounts.models import User
from consent.choices import Scope
from consent.selectors import consenting_pupil_ids
from school.models import Pupil, SchoolClass
from toolkit.forms import DateInput, SafeModelMultipleChoiceField, SchoolDateField, TimeInput

from .choices import CallKind, CallStatus, Platform
from .policy import LONDON


def staff_queryset():
    # Only what a choice label (str(user)) needs: the lists run to every member of staff in the trust.
    return (
        User.objects.filter(staff_roles__isnull=False, is_active=True)
        .distinct()
        .order_by("last_name", "first_name")
        .only("first_name", "last_name", "email")
    )


class PupilChoiceField(SafeModelMultipleChoiceField):
    """Each pupil is labelled with their consent, so the booker sees at once who will be left out (CON-1, CON-6)."""

    def __init__(self, *args, video_ids=frozenset(), recording_ids=frozenset(), **kwargs):
        self.video_ids, self.recording_ids = video_ids, recording_ids
        super().__init__(*args, **kwargs)

    def label_from_instance(self, pupil):
        class_name = pupil.school_class.name if pupil.school_class else "no class"
        if pupil.pk not in self.video_ids:
            return f"{pupil.full_name} ({class_name}) – no video-call consent: will be left out"
        if pupil.pk not in self.recording_ids:
            return f"{pupil.full_name} ({class_name}) – no recording permission"
        return f"{pupil.full_name} ({class_name})"


class WhenFields(forms.Form):
    """A date and a start time on the school's clock (Europe/London), and a length."""

    date = SchoolDateField(  # bounded: toolkit.forms
        widget=DateInput(),
        error_messages={"required": "Enter the date of the call", "invalid": "Enter the date as a real date, like 17/11/2026"},
    )
    start_time = forms.TimeField(
        label="Start time (UK time)",
        widget=TimeInput(),
        error_messages={"required": "Enter the start time", "invalid": "Enter the start time like 10:30"},
    )
    duration_minutes = forms.IntegerField(label="Length in minutes", min_value=5, max_value=180, initial=30)

    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.cleaned_data["date"], self.cleaned_data["start_time"], tzinfo=LONDON)


class BookingForm(WhenFields):
    kind = forms.ChoiceField(choices=CallKind.choices, widget=forms.RadioSelect, initial=CallKind.GROUP)
    title = forms.CharField(max_length=200, error_messages={"required": "Enter a title for the call"})
    activity = forms.CharField(
        label="What pupils will do online",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Families are told this before the call.",
        error_messages={"required": "Write what pupils will do online: families are told this"},
    )
    platform = forms.ChoiceField(label="Platform or site", choices=Platform.choices)
    host = forms.ModelChoiceField(queryset=User.objects.none())
    second_staff = forms.ModelChoiceField(label="Second member of staff", queryset=User.objects.none(), required=False)
    single_staff_reason = forms.CharField(
        label="Why only one member of staff (group lessons only)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Needed only when there is no second member of staff. The headteacher sees it.",
    )
    school_class = forms.ModelChoiceField(label="Invite a whole class", queryset=SchoolClass.objects.none(), required=False)
    pupils = PupilChoiceField(
        label="Or pick pupils (one pupil for a one-to-one)",
        queryset=Pupil.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    record = forms.BooleanField(label="This call will be recorded", required=False)
    meeting_url = forms.URLField(label="Meeting link (staff only)", required=False, assume_scheme="https")
    passcode = forms.CharField(label="Passcode (staff only)", max_length=100, required=False)

    field_order = [
        "kind",
        "title",
        "activity",
        "platform",
        "date",
        "start_time",
        "duration_minutes",
        "host",
        "second_staff",
        "single_staff_reason",
        "school_class",
        "pupils",
        "record",
        "meeting_url",
        "passcode",
    ]

    def __init__(self, *args, pupils, classes, **kwargs):
        super().__init__(*args, **kwargs)
        staff = staff_queryset()
        staff_rows = list(staff)  # one read for both lists
        for name in ("host", "second_staff"):
            self.fields[name].queryset = staff
            self.fields[name].choice_rows = staff_rows
        self.fields["school_class"].queryset = classes
        pupils = pupils.on_roll().select_related("school_class").order_by("school_class__year_group", "last_name")
        field = self.fields["pupils"]
        field.queryset = pupils
        # Read once for both the consent labels and the page (calls_fields renders from `choice_rows`);
        # validation still asks the database through the queryset.
        field.choice_rows = list(pupils)
        ids = [p.pk for p in field.choice_rows]
        field.video_ids = consenting_pupil_ids(ids, Scope.VIDEO_CALLS)
        field.recording_ids = consenting_pupil_ids(ids, Scope.RECORDING)

    def invited_pupil_ids(self) -> set[int]:
        """The class's pupils on roll plus any picked by name."""
        ids = {p.pk for p in self.cleaned_data.get("pupils") or []}
        school_class = self.cleaned_data.get("school_class")
        if school_class:
            ids |= set(school_class.pupils.on_roll().values_list("pk", flat=True))
        return ids


class ChangeTimeForm(WhenFields):
    pass


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("approve", "Approve"), ("decline", "Decline")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose approve or decline"},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        help_text="Required when declining: the host sees it.",
    )


class MeetingDetailsForm(forms.Form):
    meeting_url = forms.URLField(label="Meeting link", required=False, assume_scheme="https")
    passcode = forms.CharField(max_length=100, required=False)


class CallFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *CallStatus.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *CallKind.choices], required=False)
    host = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Any host")
    single_staff = forms.BooleanField(label="Only calls with one member of staff", required=False)
    past = forms.BooleanField(label="Include past calls", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = staff_queryset()
