"""A call's meeting on its video platform: booking and cancelling it, whether it is ready, what the
call page says about it (CALL-6, CON-6, COM-2, COM-4). Each function is one plain call into the
platform app (platforms.meetings), which reads the call by attribute only and never imports calls.

Handing over a join link is not here: that is the join gateway's decision (calls.gateway).
"""

from consent.selectors import recording_allowed_for
from platforms import meetings as platforms

from . import platform_people


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


def drift_for_call(call) -> list:
    """CALL-6: settings of the live meeting that differ from the policy (platforms.base.Drift rows)."""
    spec = platforms.spec_for_call(call, recording_consented_by_all=recording_consented_by_all(call))
    return platforms.drift_for(spec, platform=call.platform)


# --- Teams, Meet, Zoom ---------------------------------------------------------------------------


def book_platform_meeting(call) -> bool:
    """CALL-6, CON-6: on a hosted platform with credentials, queue the meeting's creation with the
    policy's settings (a Celery task; the host and the head see it as not created until it is)."""
    if not platforms.books_ahead(call.platform):
        return False  # nothing to make: the people below are not even read (a loop over calls asks)
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
