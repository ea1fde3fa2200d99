"""Input shapes for the directory pages. Rules live in services and policy, not here."""

import datetime as dt

from django import forms
from django.db.models import Q

from accounts.choices import Role
from accounts.models import User
from accounts.policy import roles_offered_to
from toolkit.forms import DateInput, IdField, SearchField, TimeInput

from .models import Pupil, SchoolSettings, Weekday
from .video_platforms import configured_platforms

DATE_INPUT = DateInput()
TIME_INPUT = TimeInput()


class PersonForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="They sign in with this address; the invitation goes to it.")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("There is already an account with this email address.")
        return email


class StaffAccountForm(PersonForm):
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, help_text="Choose every role this person holds."
    )

    def __init__(self, *args, offered_by, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the roles this person may give (accounts.policy); the service checks again.
        self.fields["roles"].choices = roles_offered_to(offered_by.roles)


class GuardianAccountForm(PersonForm):
    phone = forms.CharField(max_length=40, required=False)
    pupil = forms.ModelChoiceField(
        queryset=Pupil.objects.on_roll().select_related("school_class"), label="Child", empty_label="Choose a child"
    )
    relationship = forms.CharField(max_length=50, initial="Parent", help_text="For example Mother, Father, Carer.")
    parental_responsibility = forms.BooleanField(
        required=False,
        initial=True,
        help_text="Only people with parental responsibility decide consent and receive join details.",
    )


class RoleForm(forms.Form):
    # Staff, and accounts that are not a parent's: a school's hundreds of parents stay out of the list.
    person = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).filter(Q(staff_roles__isnull=False) | Q(guardian__isnull=True)).distinct(),
        empty_label="Choose a person",
    )
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args, offered_by, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the roles this person may give, and never to themselves (accounts.policy); the
        # service checks again.
        self.fields["role"].choices = roles_offered_to(offered_by.roles)
        self.fields["person"].queryset = self.fields["person"].queryset.exclude(pk=offered_by.pk)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("pupils", "Pupils"), ("guardians", "Parents and carers")],
        widget=forms.RadioSelect,
        label="What the file holds",
        initial="pupils",
    )
    file = forms.FileField(label="CSV file exported from the MIS")


class SchoolSettingsForm(forms.ModelForm):
    class Meta:
        model = SchoolSettings
        fields = [
            "name",
            "logo",
            "office_phone",
            "office_email",
            "reporting_routes",
            "join_window_minutes",
            "join_email_lead_hours",
            "min_booking_notice_hours",
            "session_log_deadline_hours",
            "log_correction_window_hours",
            "concern_ack_minutes",
            "video_platform",
        ]
        labels = {
            "video_platform": "Platform the portal sets up calls on (with the policy's settings)",
            "logo": "School logo (also the host's profile picture on calls)",
            "reporting_routes": "Reporting routes shown to families",
            "join_window_minutes": "Join links open this many minutes before a call",
            "join_email_lead_hours": "Join details are emailed this many hours before a call",
            "min_booking_notice_hours": "Calls must be booked at least this many hours ahead",
            "session_log_deadline_hours": "Session logs are due this many hours after a call",
            "log_correction_window_hours": "Staff may correct a session log for this many hours",
            "concern_ack_minutes": "A safeguarding concern escalates if not acknowledged within (minutes)",
        }
        widgets = {"reporting_routes": forms.Textarea(attrs={"rows": 4})}

    def clean_video_platform(self):
        """CALL-6: only a platform whose API credentials the deployment holds can apply the policy."""
        chosen = self.cleaned_data.get("video_platform", "")
        if chosen and chosen not in configured_platforms():
            label = dict(self.fields["video_platform"].choices).get(chosen, chosen)
            raise forms.ValidationError(
                f"{label} is not set up for this portal yet: its API credentials are missing. "
                "Ask the school's IT provider to follow docs/platforms.md, or choose another platform."
            )
        return chosen


class HoursForm(forms.Form):
    """Normal school hours for each weekday; an unticked day is not a school day."""

    def __init__(self, *args, days=None, **kwargs):
        super().__init__(*args, **kwargs)
        days = days or {}
        for weekday in Weekday:
            opens, closes = days.get(weekday.value, (dt.time(8, 45), dt.time(15, 30)))
            self.fields[f"open_{weekday.value}"] = forms.BooleanField(
                required=False, label=f"{weekday.label} is a school day", initial=weekday.value in days
            )
            self.fields[f"opens_{weekday.value}"] = forms.TimeField(
                label=f"{weekday.label} opens", initial=opens, widget=TIME_INPUT
            )
            self.fields[f"closes_{weekday.value}"] = forms.TimeField(
                label=f"{weekday.label} closes", initial=closes, widget=TIME_INPUT
            )

    def clean(self):
        data = super().clean()
        for weekday in Weekday:
            opens, closes = data.get(f"opens_{weekday.value}"), data.get(f"closes_{weekday.value}")
            if data.get(f"open_{weekday.value}") and opens and closes and closes <= opens:
                self.add_error(f"closes_{weekday.value}", f"{weekday.label} must close after it opens.")
        return data

    def hours(self) -> dict:
        data = self.cleaned_data
        return {
            d.value: (data[f"opens_{d.value}"], data[f"closes_{d.value}"]) if data.get(f"open_{d.value}") else None
            for d in Weekday
        }

    def rows(self):
        """(checkbox, opens, closes) bound fields per weekday, for the table on the page."""
        return [(self[f"open_{d.value}"], self[f"opens_{d.value}"], self[f"closes_{d.value}"]) for d in Weekday]


class DateRangeForm(forms.Form):
    starts_on = forms.DateField(label="First day", widget=DATE_INPUT)
    ends_on = forms.DateField(label="Last day", widget=DATE_INPUT)

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "The last day must be on or after the first day.")
        return data


class TermForm(DateRangeForm):
    name = forms.CharField(max_length=100, label="Term name", help_text="For example Autumn term 2026.")
    field_order = ["name", "starts_on", "ends_on"]


class ClosureForm(DateRangeForm):
    reason = forms.CharField(max_length=200, help_text="For example INSET day, bank holiday.")
    field_order = ["reason", "starts_on", "ends_on"]


class DirectorySearchForm(forms.Form):
    """The directory lists' search box and class filter (?q=, ?class=), bounded (toolkit.forms)."""

    q = SearchField(label="Search")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class"] = IdField(label="Class")  # 'class' is the link's fixed parameter name

    def search(self) -> tuple[str, int | None]:
        """(words, class id) from the valid parts; a part that failed is left out (its error shown)."""
        self.is_valid()
        return self.cleaned_data.get("q") or "", self.cleaned_data.get("class")
