"""What a video platform does for a call's meeting, one function per moment: naming it, booking and
cancelling it on a hosted platform, whether it is ready, its settings' drift, and building one
person's join URL through the platform's adapter.

These are plain adapter calls. The decision whether a person may have a link at all (who holds it,
consent, the join window, the lock) is the join gateway's, in calls.gateway, which asks here only
once its own checks have passed. The platform's own part of that answer stays here: on BigBlueButton
the meeting is (re)created with the policy's settings first, a child is kept out of a meeting that
drifted from the policy or a one-to-one without two staff, and every platform failure becomes a
refusal with a message safe to show.
"""

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.conf import settings

from . import policy, presence
from .base import (
    MANUAL_LINK_KEY,
    Drift,
    MeetingSpec,
    Participant,
    PlatformError,
    get_adapter,
    pupil_participant,
    staff_participant,
)

ONE_TO_ONE = "one_to_one"  # calls.choices.CallKind.ONE_TO_ONE, as a plain value
SETTINGS_NEED_CHECKING = "The settings of this call need checking by staff before children can join."


@dataclass(frozen=True)
class JoinLink:
    url: str | None
    refusal: str | None = None
    drift: list = field(default_factory=list)  # of Drift, for the staff page


def meeting_id_for_call(call_id) -> str:
    """A meeting id unique on a server several schools may share (letters, digits and dashes only)."""
    school = hashlib.sha256(settings.PORTAL_BASE_URL.encode()).hexdigest()[:8]
    return f"egps-{school}-call-{call_id}"


def spec_for_call(call, *, recording_consented_by_all: bool) -> MeetingSpec:
    """The meeting a call needs. `call` is read by attribute only (pk, title, starts_at, ends_at,
    record, meeting_url), so this app never imports the calls app. CON-6: recorded only when the
    call asks for it AND the caller has checked recording consent for every pupil invited."""
    return MeetingSpec(
        meeting_id=meeting_id_for_call(call.pk),
        name=call.title,
        starts_at=call.starts_at,
        ends_at=call.ends_at,
        record=bool(call.record and recording_consented_by_all),
        metadata={"egps-call-id": str(call.pk), MANUAL_LINK_KEY: call.meeting_url or ""},
        host_email=getattr(getattr(call, "host", None), "email", "") or "",
    )


def book_meeting(
    call, *, recording_consented_by_all: bool, roster: dict | None = None, staff: list | None = None, registrants=None
) -> bool:
    """The call is booked or changed: on a hosted platform (Teams, Meet, Zoom) with credentials,
    queue the meeting's creation with the policy's settings. False when nothing is to be made.

    `roster` maps the real names of the people expected ({"Amelia Adams": "pupil-7"}) to the
    portal's ids, so the platform's attendance (names only) can pre-fill the session log (LOG-1).
    `staff` ([{person, email, name}] of the host and second staff) lets the gateway ask the platform
    whether both are in a one-to-one (CALL-3, platforms.presence). `registrants`, a callable giving
    [{person, email, first_name, last_name}], is asked only on a platform that takes registrants
    (Zoom): each child's own join address (platforms.registrants)."""
    adapter = get_adapter(call.platform)
    if not getattr(adapter, "books_ahead", False):
        return False
    from . import hosted

    spec = spec_for_call(call, recording_consented_by_all=recording_consented_by_all)
    if roster:
        spec = dataclasses.replace(spec, metadata={**spec.metadata, hosted.ROSTER_KEY: dict(roster)})
    if staff:
        spec = dataclasses.replace(spec, metadata={**spec.metadata, presence.STAFF_KEY: list(staff)})
    hosted.request_meeting(spec, call.platform)
    if registrants is not None and getattr(adapter, "supports_registrants", False):
        from . import registrants as places

        places.request(spec.meeting_id, registrants())
    return True


def books_ahead(platform: str) -> bool:
    """Whether the platform's meeting is made when the call is booked (Teams, Meet, Zoom)."""
    return bool(getattr(get_adapter(platform), "books_ahead", False))


def cancel_meeting(call) -> None:
    """The call is cancelled: delete its meeting on the hosted platform, if one was made."""
    from . import hosted

    hosted.request_cancel(meeting_id_for_call(call.pk))


def meeting_status(call) -> str:
    """What the host and the head read about the call's meeting on a hosted platform ("" otherwise)."""
    if not getattr(get_adapter(call.platform), "books_ahead", False):
        return ""
    from . import hosted

    return hosted.status_text(hosted.meeting_for(meeting_id_for_call(call.pk)), call.platform)


def meeting_ready(call) -> bool:
    """The join email waits for this: True unless the call's hosted meeting is not created yet."""
    if not getattr(get_adapter(call.platform), "books_ahead", False):
        return True
    from . import hosted

    row = hosted.meeting_for(meeting_id_for_call(call.pk))
    return bool(row and row.is_ready)


def pupil_link_for_call(call, pupil, *, recording_consented_by_all: bool, now: dt.datetime) -> JoinLink:
    """The child's own link now, or why not (asked by calls.gateway after the portal's checks)."""
    spec = spec_for_call(call, recording_consented_by_all=recording_consented_by_all)
    return join_link(
        spec=spec, participant=pupil_participant(pupil), one_to_one=call.kind == ONE_TO_ONE, now=now, platform=call.platform
    )


def staff_link_for_call(call, user, *, recording_consented_by_all: bool, now: dt.datetime) -> JoinLink:
    """A member of staff's moderator link (starts the meeting on BigBlueButton)."""
    spec = spec_for_call(call, recording_consented_by_all=recording_consented_by_all)
    return join_link(
        spec=spec, participant=staff_participant(user), one_to_one=call.kind == ONE_TO_ONE, now=now, platform=call.platform
    )


def join_link(
    *, spec: MeetingSpec, participant: Participant, one_to_one: bool, now: dt.datetime, platform: str | None = None
) -> JoinLink:
    """CALL-3, CALL-6: the link for one person now, or why not.

    Manual platform: the host's pasted link. BigBlueButton: create the meeting with the policy's
    settings (idempotent), then staff get a moderator link at once; a child gets a guest link only
    when the meeting shows no drift from the policy and, for a one-to-one, two staff are present.
    """
    adapter = get_adapter(platform)
    if getattr(adapter, "books_ahead", False):
        return _hosted_link(adapter, spec, participant, platform, one_to_one)
    try:
        if not adapter.applies_settings:
            return JoinLink(url=adapter.join_url(spec, participant, None))
        created = adapter.create_meeting(spec, now=now)
        if participant.is_staff:
            return JoinLink(url=adapter.join_url(spec, participant, created.create_time))
        return _child_link(adapter, spec, participant, one_to_one, created.create_time)
    except PlatformError as error:
        return JoinLink(url=None, refusal=str(error))


def _child_link(adapter, spec, participant, one_to_one, create_time) -> JoinLink:
    drifts = adapter.drift(spec)
    if drifts:
        return JoinLink(url=None, refusal=SETTINGS_NEED_CHECKING, drift=drifts)
    reason = policy.staff_not_ready_reason(info=adapter.meeting_info(spec.meeting_id), one_to_one=one_to_one)
    if reason:
        return JoinLink(url=None, refusal=reason)
    return JoinLink(url=adapter.join_url(spec, participant, create_time))


def _hosted_link(adapter, spec, participant, platform, one_to_one=False) -> JoinLink:
    """Teams, Meet, Zoom: the meeting was made when the call was booked (platforms.hosted). The
    gateway has already checked consent, the window and the lock; a child additionally waits until
    the meeting exists and a fresh read-back shows no drift from the policy (CALL-6), then
    `_hosted_child_link` (CALL-3 where the platform can tell; the child's own registrant)."""
    from . import hosted

    row = hosted.meeting_for(spec.meeting_id)
    if row is None or not row.is_ready:
        if row is None:
            hosted.request_meeting(spec, platform)  # booked before the platform was set up: make it now
        return JoinLink(url=None, refusal=hosted.status_text(row, platform) + " Please try again in a few minutes.")
    if not participant.is_staff:
        try:
            drifts = adapter.drift(spec, row.external_id)
        except PlatformError:
            drifts = hosted.stored_drift(row)  # the platform is busy: the last check stands
        if drifts:
            return JoinLink(url=None, refusal=SETTINGS_NEED_CHECKING, drift=drifts)
        return _hosted_child_link(adapter, row, participant, one_to_one)
    return JoinLink(url=row.join_url)


def _hosted_child_link(adapter, row, participant, one_to_one) -> JoinLink:
    """CALL-3: on a one-to-one, wait until the platform shows two staff in (where it can tell).
    Then the child's own address: their registrant's on Zoom, the meeting's elsewhere."""
    from . import hosted, registrants

    stored = hosted.spec_from_json(row.spec)
    refusal = presence.staff_not_ready(
        adapter,
        external_id=row.external_id,
        staff=stored.metadata.get(presence.STAFF_KEY) or [],
        host=stored.host_email,
        one_to_one=one_to_one,
    )
    if refusal:
        return JoinLink(url=None, refusal=refusal)
    url, refusal = registrants.child_address(row, participant.user_id)
    return JoinLink(url=url, refusal=refusal)


def drift_for(spec: MeetingSpec, *, platform: str | None = None) -> list[Drift]:
    """CALL-6: settings of the live meeting that differ from the policy, for the call page."""
    adapter = get_adapter(platform)
    if getattr(adapter, "books_ahead", False):
        from . import hosted

        row = hosted.meeting_for(spec.meeting_id)
        return hosted.stored_drift(row) if row else []
    try:
        return get_adapter(platform).drift(spec)
    except PlatformError as error:
        return [Drift("Platform", "reachable", str(error))]


def applies_settings(platform: str | None = None) -> bool:
    """True when the platform applies CALL-6 itself, so the call page can drop the host checklist."""
    return get_adapter(platform).applies_settings
