"""Every write for meetings on hosted platforms (Teams, Meet, Zoom): create once, check, read back.

The platform is asked outside any transaction (a slow platform must not hold a row lock). The
HostedMeeting row is the idempotency record: its state is CREATING (committed) before the create
request leaves, so an attempt that finds CREATING knows an earlier one may have succeeded unseen
and first asks the platform for that meeting. A lock in the cache keeps two workers from
creating the same meeting at once. Attendance goes into MeetingReport through services.record_attendance,
the seam the BigBlueButton poll uses, so session logs pre-fill the same way (LOG-1).
"""

import dataclasses
import datetime as dt
import logging

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import events, registrants, services
from .base import HOSTED_PLATFORMS, Drift, MeetingSpec, PlatformError, hosted_adapter
from .models import HostedMeeting
from .remote import RetryLater

logger = logging.getLogger(__name__)
LOCK_SECONDS = 120
CANCELLED = "The call was cancelled."
# MeetingSpec.metadata key: {real name: portal id} of the people expected (never sent to a platform).
ROSTER_KEY = "roster"
PLATFORM_NAMES = {"zoom": "Zoom", "teams": "Microsoft Teams", "meet": "Google Meet"}


class Busy(RetryLater):
    """Another worker is creating this meeting right now."""


def spec_to_json(spec: MeetingSpec) -> dict:
    data = dataclasses.asdict(spec)
    data["starts_at"] = spec.starts_at.isoformat()
    data["ends_at"] = spec.ends_at.isoformat()
    return data


def spec_from_json(data: dict) -> MeetingSpec:
    data = dict(data)
    data["starts_at"] = dt.datetime.fromisoformat(data["starts_at"])
    data["ends_at"] = dt.datetime.fromisoformat(data["ends_at"])
    return MeetingSpec(**data)


def request_meeting(spec: MeetingSpec, platform: str, *, enqueue: bool = True) -> HostedMeeting:
    """The call is booked (or changed): record what the meeting must be and queue its creation.
    A change of time or recording consent after creation is applied by the next drift check."""
    if platform not in HOSTED_PLATFORMS:
        raise PlatformError(f"{platform!r} is not a hosted platform.")
    with transaction.atomic():
        row, created = HostedMeeting.objects.select_for_update().get_or_create(
            meeting_id=spec.meeting_id,
            defaults={"platform": platform, "spec": spec_to_json(spec), "call_ref": spec.metadata.get("egps-call-id", "")},
        )
        changed = not created and row.spec != spec_to_json(spec)
        if changed:
            row.spec = spec_to_json(spec)
            row.save(update_fields=["spec", "updated_at"])
        if enqueue and row.state != HostedMeeting.State.CREATED:
            from .tasks import create_hosted_meeting

            transaction.on_commit(lambda: create_hosted_meeting.delay(spec.meeting_id))
        elif enqueue and changed:
            from .tasks import update_hosted_meeting

            transaction.on_commit(lambda: update_hosted_meeting.delay(spec.meeting_id))
    return row


def _lock_key(meeting_id: str) -> str:
    return f"platforms:creating:{meeting_id}"


def create(meeting_id: str) -> HostedMeeting:
    """Create the meeting on its platform, exactly once, however often this runs."""
    if not cache.add(_lock_key(meeting_id), "1", timeout=LOCK_SECONDS):
        raise Busy("Another worker is creating this meeting.", retry_after=10)
    try:
        with transaction.atomic():
            row = HostedMeeting.objects.select_for_update().get(meeting_id=meeting_id)
            if row.state == HostedMeeting.State.CREATED:
                return row
            maybe_made = row.state == HostedMeeting.State.CREATING
            row.state = HostedMeeting.State.CREATING
            row.attempts += 1
            row.save(update_fields=["state", "attempts", "updated_at"])
        adapter = hosted_adapter(row.platform)
        spec = spec_from_json(row.spec)
        try:
            info = adapter.find_meeting(spec) if maybe_made else None
            if info is None:
                info = adapter.create_meeting(spec)
        except RetryLater as error:
            _note_error(row.pk, str(error), failed=False)
            raise
        except PlatformError as error:
            _note_error(row.pk, str(error), failed=True)
            raise
        with transaction.atomic():
            row = HostedMeeting.objects.select_for_update().get(pk=row.pk)
            row.external_id = info.external_id
            row.join_url = info.join_url
            row.state = HostedMeeting.State.CREATED
            row.last_error = ""
            row.save()
        logger.info("%s meeting created for %s after %s attempt(s).", row.platform, meeting_id, row.attempts)
        if row.call_ref:
            events.meeting_ready.send(sender=HostedMeeting, call_ref=row.call_ref, now=timezone.now())
        return row
    finally:
        cache.delete(_lock_key(meeting_id))


def _note_error(pk: int, message: str, *, failed: bool) -> None:
    fields = {"last_error": message[:300]}
    if failed:
        fields["state"] = HostedMeeting.State.FAILED
    HostedMeeting.objects.filter(pk=pk).update(**fields)


def give_up(meeting_id: str, message: str) -> None:
    """Retries are spent: the host and the head see the call as not created."""
    HostedMeeting.objects.filter(meeting_id=meeting_id).exclude(state=HostedMeeting.State.CREATED).update(
        state=HostedMeeting.State.FAILED, last_error=message[:300]
    )


def request_cancel(meeting_id: str) -> None:
    """Mark the meeting cancelled (no creation, drift or join from now on) and queue its deletion."""
    with transaction.atomic():
        row = HostedMeeting.objects.select_for_update().filter(meeting_id=meeting_id).first()
        if row is None:
            return
        made = row.state in (HostedMeeting.State.CREATED, HostedMeeting.State.CREATING)
        row.state, row.last_error, row.join_url = HostedMeeting.State.FAILED, CANCELLED, ""
        row.save(update_fields=["state", "last_error", "join_url", "updated_at"])
        registrants.forget(row)
        if made and row.external_id:
            from .tasks import delete_hosted_meeting

            transaction.on_commit(lambda: delete_hosted_meeting.delay(row.platform, row.external_id, row.spec))


def delete(platform: str, external_id: str, spec_json: dict) -> None:
    hosted_adapter(platform).delete_meeting(external_id, spec_from_json(spec_json).host_email)


def update(meeting_id: str) -> None:
    """The call changed after its meeting was made: apply the stored spec again (idempotent)."""
    row = HostedMeeting.objects.get(meeting_id=meeting_id)
    if row.state == HostedMeeting.State.CREATED:
        hosted_adapter(row.platform).update_meeting(spec_from_json(row.spec), row.external_id)


def check_drift(meeting_id: str, *, now: dt.datetime) -> list[Drift]:
    """CALL-6: read the meeting back; store and return what differs from the policy."""
    row = HostedMeeting.objects.get(meeting_id=meeting_id)
    if row.state != HostedMeeting.State.CREATED:
        return []
    drifts = hosted_adapter(row.platform).drift(spec_from_json(row.spec), row.external_id)
    stored = [{"setting": d.setting, "expected": d.expected, "actual": d.actual} for d in drifts]
    HostedMeeting.objects.filter(pk=row.pk).update(drift=stored, checked_at=now)
    if drifts:
        logger.warning(
            "%s meeting for %s drifted from the policy: %s", row.platform, meeting_id, ", ".join(d.setting for d in drifts)
        )
    return drifts


def stored_drift(row: HostedMeeting) -> list[Drift]:
    return [Drift(item["setting"], item["expected"], item["actual"]) for item in row.drift]


def read_attendance(meeting_id: str, *, now: dt.datetime):
    """LOG-1: who the platform says attended, into the meeting's report (the session log's pre-fill)."""
    row = HostedMeeting.objects.get(meeting_id=meeting_id)
    if row.state != HostedMeeting.State.CREATED:
        return None
    spec = spec_from_json(row.spec)
    adapter = hosted_adapter(row.platform)
    info = adapter.attendance(row.external_id, spec.host_email)
    if info is None:
        return None
    names = {r.person: f"{r.first_name} {r.last_name}".strip() for r in row.registrants.all()}
    attendees = registrants.match_registrants(info.attendees, registrants.people_by_registrant(row), names)
    info = dataclasses.replace(
        info,
        meeting_id=row.meeting_id,
        metadata={services.CALL_ID_KEY: row.call_ref},
        attendees=match_roster(attendees, spec.metadata.get(ROSTER_KEY) or {}),
    )
    report = services.record_attendance(info=info, now=now)
    if info.end_time and report.ended_at is None:
        report.ended_at = info.end_time
        report.save(update_fields=["ended_at"])
    HostedMeeting.objects.filter(pk=row.pk).update(attendance_read_at=now)
    return report


def _name_key(name: str) -> str:
    return " ".join(str(name).casefold().split())


def match_roster(attendees: list, roster: dict) -> list:
    """LOG-1: hosted platforms report names, not the portal's ids. A name that is exactly one
    expected person's real name (ignoring case and spacing) takes that person's id, so the log
    pre-fill ticks them; anyone else stays as the platform named them, for staff to judge."""
    keys: dict = {}
    for name, person in roster.items():
        keys.setdefault(_name_key(name), []).append(person)
    matched = []
    for attendee in attendees:
        if attendee.user_id.startswith(("pupil-", "staff-")):
            matched.append(attendee)  # already known by id (a registrant): the name cannot overrule it
            continue
        people = keys.get(_name_key(attendee.full_name), [])
        if len(people) == 1:  # two pupils of the same name: leave it to staff
            role = "MODERATOR" if people[0].startswith("staff-") else attendee.role
            attendee = attendee._replace(user_id=people[0], role=role)
        matched.append(attendee)
    return matched


def meeting_for(meeting_id: str) -> HostedMeeting | None:
    return HostedMeeting.objects.filter(meeting_id=meeting_id).first()


def status_text(row: HostedMeeting | None, platform: str) -> str:
    """What the host and the head read on the call page about the platform's meeting."""
    name = PLATFORM_NAMES.get(platform, platform)
    if row is None or row.state == HostedMeeting.State.PENDING:
        return f"The {name} meeting has not been created yet."
    if row.state == HostedMeeting.State.CREATING:
        return f"The {name} meeting is being created; the portal keeps trying ({row.attempts} attempt(s) so far)."
    if row.state == HostedMeeting.State.FAILED and row.last_error == CANCELLED:
        return f"The {name} meeting was removed: {CANCELLED}"
    if row.state == HostedMeeting.State.FAILED:
        return f"The {name} meeting could not be created: {row.last_error}"
    return f"The {name} meeting is ready."
