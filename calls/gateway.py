"""The seam between the join gateway and video platforms.

At join time the gateway asks `platform_link_for(call, pupil, now=now)` for the address to hand
over. The manual platforms answer with the link staff stored on the call. A call on BigBlueButton
gets a personal, name-locked link from `bigbluebutton_link` below, or a refusal (say, a
one-to-one whose two staff are not in yet). It is asked only after the portal's own checks
(consent, scheduled, window, lock) have passed.

Whether a BigBlueButton call really goes to a BigBlueButton server is a setting, never code:
`platforms.gateway` decides (PORTAL_PLATFORM with URL and secret). Without a server the call
behaves like any manual platform: the host's stored link and the tick-box checklist.
"""

from dataclasses import dataclass

from consent.selectors import recording_allowed_for
from platforms import gateway as platforms

from . import platform_people
from .choices import Platform

_BUILT_AT_JOINING = frozenset({Platform.BIGBLUEBUTTON, Platform.MICROSOFT_TEAMS, Platform.GOOGLE_MEET, Platform.ZOOM})


@dataclass(frozen=True)
class PlatformAnswer:
    url: str = ""
    refusal: str | None = None


def platform_link_for(call, pupil, *, now) -> PlatformAnswer:
    """The address a family uses to enter `call` for `pupil`, asked at the moment of joining."""
    # BigBlueButton and the hosted platforms (Teams, Meet, Zoom) hand over the link built now, once
    # the platform app has checked the meeting's settings; the manual platform, the host's stored link.
    if call.platform not in _BUILT_AT_JOINING:
        return PlatformAnswer(url=call.meeting_url)
    answer = bigbluebutton_link(call, pupil, now)
    if isinstance(answer, str):
        return PlatformAnswer(url=answer)
    return PlatformAnswer(url=getattr(answer, "url", "") or "", refusal=getattr(answer, "refusal", None))


# --- BigBlueButton ---------------------------------------------------------------------------


def platform_applies_settings(call) -> bool:
    """CALL-6: True when the call's platform applies the policy's settings itself (a configured
    BigBlueButton server), so the call page shows them as applied instead of as tick boxes."""
    return platforms.applies_settings(call.platform)


def recording_consented_by_all(call) -> bool:
    """CON-6, asked again whenever a meeting may be created: the call asks to be recorded AND every
    pupil still invited has recording permission in force now (one query)."""
    if not call.record:
        return False
    invited = call.invitations.filter(removed_at__isnull=True).values_list("pupil_id", flat=True)
    return recording_allowed_for(invited)


def bigbluebutton_link(call, pupil, now):
    """CALL-3, CALL-6, CON-6: the child's own VIEWER link, built now, or why not.

    Without a configured server this is the manual platform: the host's stored link, unchanged.
    """
    if not platform_applies_settings(call):
        return call.meeting_url
    return platforms.pupil_link_for_call(call, pupil, recording_consented_by_all=recording_consented_by_all(call), now=now)


def staff_link(call, user, *, now) -> PlatformAnswer:
    """A member of staff's MODERATOR link, built now (it creates the meeting with the policy's settings)."""
    answer = platforms.staff_link_for_call(call, user, recording_consented_by_all=recording_consented_by_all(call), now=now)
    return PlatformAnswer(url=answer.url or "", refusal=answer.refusal)


def drift_for_call(call) -> list:
    """CALL-6: settings of the live meeting that differ from the policy (platforms.base.Drift rows)."""
    spec = platforms.spec_for_call(call, recording_consented_by_all=recording_consented_by_all(call))
    return platforms.drift_for(spec, platform=call.platform)


# --- Teams, Meet, Zoom ---------------------------------------------------------------------------


def book_platform_meeting(call) -> bool:
    """CALL-6, CON-6: on a hosted platform with credentials, queue the meeting's creation with the
    policy's settings (a Celery task; the host and the head see it as not created until it is)."""
    invited = call.invitations.filter(removed_at__isnull=True).select_related("pupil")
    roster = {i.pupil.full_name: f"pupil-{i.pupil_id}" for i in invited}
    for member in (call.host, call.second_staff):
        if member is not None and member.get_full_name():
            roster[member.get_full_name()] = f"staff-{member.pk}"
    return platforms.book_meeting(
        call,
        recording_consented_by_all=recording_consented_by_all(call),
        roster=roster,
        staff=platform_people.staff_for(call),  # CALL-3 where the platform can say who is in
        registrants=lambda: platform_people.registrants_for(call),  # Zoom: each child's own address
    )


def platform_meeting_ready(call) -> bool:
    """COM-4: join emails wait until the call's meeting exists on its platform."""
    return platforms.meeting_ready(call)


def platform_meeting_status(call) -> str:
    return platforms.meeting_status(call)


def cancel_platform_meeting(call) -> None:
    """COM-2: a cancelled call's meeting is removed from its platform (nothing left to join)."""
    platforms.cancel_meeting(call)
