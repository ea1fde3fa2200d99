"""Session logs of calls held (LOG-1..LOG-3), their versions and annotations (GOV-3), the chase
of missing logs (LOG-4), welfare contacts (LOG-5) and each pupil's contact preference.

A log is written once and corrected by adding a version: SessionLog holds the current content
(so lists and the head's overview are one query), and every version, the first included, is
kept whole as a SessionLogVersion row that is never changed.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import Attendance, ContactMethod, NumberUsed, PreferredMethod, UnacceptableUse


class LogContent(models.Model):
    """What one version of a session log says. Shared by the log and each of its versions."""

    started_at = models.DateTimeField("actual start")
    ended_at = models.DateTimeField("actual end")
    # None when the call was booked with one member of staff (CALL-2): nothing to confirm.
    second_staff_present = models.BooleanField(null=True, blank=True)
    second_staff_absent_reason = models.TextField(blank=True, default="")
    # LOG-2, one-to-ones only (None for group lessons).
    spoke_to_parent_first = models.BooleanField(null=True, blank=True)
    parent_stayed = models.BooleanField(null=True, blank=True)
    recorded = models.BooleanField(default=False)
    # CALL-6 item keys (calls.platform_settings) the staff confirmed for this session.
    checklist_items = models.JSONField(default=list, blank=True)
    # LOG-3: UnacceptableUse keys seen, and what happened.
    unacceptable_use = models.JSONField(default=list, blank=True)
    unacceptable_use_details = models.TextField(blank=True, default="")
    notes = models.TextField(blank=True, default="")

    class Meta:
        abstract = True

    @property
    def length(self) -> dt.timedelta:
        return self.ended_at - self.started_at

    @property
    def length_minutes(self) -> int:
        return round(self.length.total_seconds() / 60)

    @property
    def unacceptable_use_labels(self) -> list[str]:
        return [UnacceptableUse(key).label for key in self.unacceptable_use if key in UnacceptableUse.values]


class SessionLogQuerySet(models.QuerySet):
    def for_pupil(self, pupil):
        return self.filter(pupils__pupil=pupil)


class SessionLog(LogContent):
    """LOG-1: the record of one call held. Its content is the latest version's."""

    # Calls are only ever removed by the retention sweep, which removes their logs at the same age.
    call = models.OneToOneField("calls.Call", on_delete=models.CASCADE, related_name="session_log")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_logs_written")
    written_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)
    corrected_at = models.DateTimeField(null=True, blank=True)

    objects = SessionLogQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["started_at"])]
        constraints = [models.CheckConstraint(condition=Q(ended_at__gt=models.F("started_at")), name="log_ends_after_start")]

    def __str__(self):
        return f"Session log for call {self.call_id}"


class SessionLogPupil(models.Model):
    """One invited pupil's attendance in the current version of a log (LOG-1)."""

    log = models.ForeignKey(SessionLog, on_delete=models.CASCADE, related_name="pupils")
    pupil = models.ForeignKey("school.Pupil", on_delete=models.PROTECT, related_name="session_attendances")
    outcome = models.CharField(max_length=20, choices=Attendance.choices)
    # When the family opened their join link (from the join gateway), if they did.
    joined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["log", "pupil__last_name", "pupil__first_name"]
        constraints = [models.UniqueConstraint(fields=["log", "pupil"], name="one_attendance_per_log_pupil")]
        indexes = [models.Index(fields=["pupil", "outcome"])]

    def __str__(self):
        return f"Pupil {self.pupil_id}: {self.outcome} (log {self.log_id})"


class SessionLogVersion(LogContent):
    """GOV-3: every version of a log, kept whole, never changed: who wrote it, when and why."""

    log = models.ForeignKey(SessionLog, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # [{"pupil_id", "name", "outcome", "joined_at"}] as written in this version.
    attendance = models.JSONField(default=list, blank=True)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()
    # Why a correction was made (empty for the first version).
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["log", "number"]
        constraints = [models.UniqueConstraint(fields=["log", "number"], name="one_row_per_log_version")]

    def __str__(self):
        return f"Version {self.number} of log {self.log_id}"


class SessionLogAnnotation(models.Model):
    """A note the headteacher adds to a log once its correction window has closed (GOV-3)."""

    log = models.ForeignKey(SessionLog, on_delete=models.CASCADE, related_name="annotations")
    text = models.TextField()
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["written_at", "pk"]

    def __str__(self):
        return f"Annotation on log {self.log_id}"


class MissingLogChase(models.Model):
    """LOG-4: who has been told that a call's log is missing, so the sweep tells each person once."""

    call = models.OneToOneField("calls.Call", on_delete=models.CASCADE, related_name="log_chase")
    host_reminded_at = models.DateTimeField(null=True, blank=True)
    head_told_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Log chase for call {self.call_id}"


class WelfareContactQuerySet(models.QuerySet):
    def for_pupil(self, pupil):
        return self.filter(pupil=pupil)

    def without_safeguarding_follow_ups(self):
        """SG-3: what staff outside the DSL team may see (a DSL's follow-up is safeguarding content)."""
        return self.filter(safeguarding_follow_up=False)


class WelfareContact(models.Model):
    """LOG-5: a phone call or home visit to check on a child's welfare."""

    pupil = models.ForeignKey("school.Pupil", on_delete=models.PROTECT, related_name="welfare_contacts")
    # Who staff spoke with; empty when nobody answered.
    guardian = models.ForeignKey("school.Guardian", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    method = models.CharField(max_length=20, choices=ContactMethod.choices)
    contacted_at = models.DateTimeField("when")
    duration_minutes = models.PositiveSmallIntegerField("length (minutes)")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="welfare_contacts_made")
    # LOG-5: required for phone calls, empty for home visits.
    number_used = models.CharField(max_length=20, choices=NumberUsed.choices, blank=True, default="")
    outcome = models.TextField()
    # CALL-1: a DSL-team follow-up may happen outside school hours.
    safeguarding_follow_up = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    objects = WelfareContactQuerySet.as_manager()

    class Meta:
        ordering = ["-contacted_at", "-pk"]
        indexes = [models.Index(fields=["pupil", "contacted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(method=ContactMethod.PHONE) | ~Q(number_used=""), name="phone_contact_says_number_used"
            )
        ]

    def __str__(self):
        return f"{self.get_method_display()} for pupil {self.pupil_id}"

    @property
    def ended_at(self) -> dt.datetime:
        return self.contacted_at + dt.timedelta(minutes=self.duration_minutes)


class ContactPreference(models.Model):
    """What way of checking in suits this child ("consider which methods are most appropriate")."""

    pupil = models.OneToOneField("school.Pupil", on_delete=models.CASCADE, related_name="contact_preference")
    method = models.CharField(max_length=20, choices=PreferredMethod.choices, default=PreferredMethod.NO_PREFERENCE)
    notes = models.TextField(blank=True, default="")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    def __str__(self):
        return f"Contact preference for pupil {self.pupil_id}"
