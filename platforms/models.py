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
