"""What the platform reported about a meeting that happened (LOG-1): times and who was there.

The session-log app pre-fills a log from this; staff confirm and complete it. One row per
platform meeting, filled by the end callback and by the beat task polling running meetings.
"""

from django.db import models

PUPIL_PREFIX = "pupil-"
STAFF_PREFIX = "staff-"


def _ids_with_prefix(attendees: list, prefix: str) -> list[int]:
    ids = []
    for attendee in attendees:
        user_id = str(attendee.get("user_id", ""))
        if user_id.startswith(prefix) and user_id[len(prefix) :].isdigit():
            ids.append(int(user_id[len(prefix) :]))
    return sorted(set(ids))


class MeetingReport(models.Model):
    meeting_id = models.CharField(max_length=256, unique=True)
    # The call it belongs to, from the meeting's metadata (egps-call-id): plain text, no foreign key,
    # so this app does not depend on the calls app.
    call_ref = models.CharField(max_length=64, blank=True, default="", db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # [{user_id, full_name, role, has_video, first_seen_at}], has_video true if ever seen on.
    attendees = models.JSONField(default=list, blank=True)
    # When the platform's end callback arrived (None: the end was inferred by polling, or not yet).
    received_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"Meeting {self.meeting_id}"

    @property
    def length_minutes(self) -> int | None:
        if not (self.started_at and self.ended_at):
            return None
        return round((self.ended_at - self.started_at).total_seconds() / 60)

    def pupil_ids(self) -> list[int]:
        """Pupils the platform saw in the meeting (joined through platforms.base.pupil_participant)."""
        return _ids_with_prefix(self.attendees, PUPIL_PREFIX)

    def staff_user_ids(self) -> list[int]:
        return _ids_with_prefix(self.attendees, STAFF_PREFIX)

    def pupils_without_video(self) -> list[int]:
        return _ids_with_prefix([a for a in self.attendees if not a.get("has_video")], PUPIL_PREFIX)


class HostedMeeting(models.Model):
    """One call's meeting on a hosted platform (Teams, Meet, Zoom): the idempotency record.

    The row exists before the platform is asked, and `state` goes to CREATING (committed) before
    the request leaves: a retry, or a worker killed mid-request, finds the row and first looks for
    the meeting the lost attempt may have made (Graph createOrGet on externalId; Zoom by the
    reference in the agenda; Meet by the space name stored at once) instead of making a second.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be created"
        CREATING = "creating", "Being created"
        CREATED = "created", "Created"
        FAILED = "failed", "Could not be created"

    # The portal's meeting id (platforms.meetings.meeting_id_for_call): one row per call.
    meeting_id = models.CharField(max_length=256, unique=True)
    platform = models.CharField(max_length=20)
    call_ref = models.CharField(max_length=64, blank=True, default="", db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # The platform's own id (Zoom meeting number, Graph onlineMeeting id, Meet space name).
    external_id = models.CharField(max_length=512, blank=True, default="")
    # The address the gateway hands over (never emailed: families get the portal's own link).
    join_url = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, default="")
    # The settings last sent, so a drift check compares with what the policy asked for then.
    spec = models.JSONField(default=dict, blank=True)
    # CALL-6: what the last read-back found different from the policy ([{setting, expected, actual}]).
    drift = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    # When the platform's attendance last reached the meeting report (the sweep stops asking).
    attendance_read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.platform} meeting for {self.meeting_id} ({self.state})"

    @property
    def is_ready(self) -> bool:
        return self.state == self.State.CREATED and bool(self.join_url)


class HostedRegistrant(models.Model):
    """One child's own place in a hosted meeting that takes registrants (Zoom): the registrant
    Zoom made for them, under a join-email recipient's address and the child's real name.

    `wanted` is what the calls app last asked for (the child is still invited, consent in force);
    platforms.registrants brings Zoom in line with it, so a retry only does what is still missing.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be registered"
        REGISTERED = "registered", "Registered"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Could not be registered"

    meeting = models.ForeignKey(HostedMeeting, on_delete=models.CASCADE, related_name="registrants")
    # The portal's id of the child ("pupil-7"), as in MeetingReport.attendees (no foreign key upward).
    person = models.CharField(max_length=64)
    # The join-email recipient's address Zoom registers (never shown to other families).
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=64)
    last_name = models.CharField(max_length=64, blank=True, default="")
    wanted = models.BooleanField(default=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    registrant_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # The child's own join address, stored as HostedMeeting.join_url is; handed over only by the
    # gateway after its checks, never emailed or logged.
    join_url = models.TextField(blank=True, default="")
    last_error = models.CharField(max_length=300, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="platforms_one_registrant_per_child")]

    def __str__(self):
        return f"Registrant {self.person} for {self.meeting.meeting_id} ({self.state})"
