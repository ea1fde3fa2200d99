"""The policy as a video platform must apply it: pure functions, no ORM, no clock.

CALL-6 lists the settings every call carries; on BigBlueButton the portal sends them itself
instead of trusting the host's checklist. CON-6 decides recording; CALL-3 the two adults.
"""

import datetime as dt
import math

from .base import MODERATOR, MeetingInfo

# CALL-6 "file transfer off": every way a viewer can take a copy of what was shown.
# Names from the BigBlueButton API reference, create -> disabledFeatures
# (https://docs.bigbluebutton.org/development/api#create).
DISABLED_FEATURES = (
    "privateChat",
    "downloadPresentationWithAnnotations",
    "downloadPresentationConvertedToPdf",
    "downloadPresentationOriginalFile",
    "snapshotOfCurrentSlide",
    "importPresentationWithAnnotationsFromBreakoutRooms",
    "importSharedNotesFromBreakoutRooms",
)
# CALL-3: "there will always be two members of staff present on the call".
ONE_TO_ONE_STAFF = 2
STAFF_NOT_READY = "The staff for this call are not ready yet. Please wait a moment and try again."


def _flag(value: bool) -> str:
    return "true" if value else "false"


def meeting_policy_settings(*, record: bool, webcams_only_for_moderator: bool) -> dict[str, str]:
    """CALL-6, CON-6: the create parameters that make a BigBlueButton meeting follow the policy.

    Waiting room (guests wait for a moderator), everyone muted on entry, private chat off (also in
    breakout rooms), locks applied on join, no downloads or snapshots, the meeting ends when no
    member of staff is left, and recording only when CON-6 allowed it for every pupil invited.
    Children see only the staff in the user list, not each other's names (the other families did
    not agree to share them). When a lesson may be recorded, everyone is told the moment recording
    starts ("should not record ... without parental permission": those present know it is on).
    """
    return {
        "guestPolicy": "ASK_MODERATOR",
        "muteOnStart": "true",
        "lockSettingsDisablePrivateChat": "true",
        "lockSettingsLockOnJoin": "true",
        "lockSettingsHideUserList": "true",
        "breakoutRoomsPrivateChatEnabled": "false",
        "disabledFeatures": ",".join(DISABLED_FEATURES),
        "webcamsOnlyForModerator": _flag(webcams_only_for_moderator),
        "endWhenNoModerator": "true",
        "endWhenNoModeratorDelayInMinutes": "1",
        "record": _flag(record),
        # A recorded lesson still records only while staff press Record.
        "autoStartRecording": "false",
        "allowStartStopRecording": _flag(record),
        "notifyRecordingIsOn": _flag(record),
    }


def join_policy_settings(*, is_staff: bool) -> dict[str, str]:
    """CALL-6: staff join as moderators; a child joins as a guest viewer who waits to be admitted
    one at a time, with the camera shared on entry ("children must have their camera on")."""
    if is_staff:
        return {"role": MODERATOR}
    return {"role": "VIEWER", "guest": "true", "userdata-bbb_auto_share_webcam": "true"}


def meeting_duration_minutes(*, ends_at: dt.datetime, now: dt.datetime) -> int:
    """Minutes from the meeting's creation to the booked end, so the platform ends it on time."""
    # In UTC: Python subtracts two times sharing one tzinfo as wall clocks, wrong across a clock change.
    remaining = ends_at.astimezone(dt.UTC) - now.astimezone(dt.UTC)
    return max(1, math.ceil(remaining.total_seconds() / 60))


def two_moderators_present(info: MeetingInfo | None) -> bool:
    """CALL-3: two different members of staff are in the meeting (one person on two devices counts once)."""
    if info is None or not info.running:
        return False
    staff = {attendee.user_id for attendee in info.attendees if attendee.role == MODERATOR}
    return len(staff) >= ONE_TO_ONE_STAFF


def staff_not_ready_reason(*, info: MeetingInfo | None, one_to_one: bool) -> str | None:
    """CALL-3: why a child may not be let into the meeting yet, or None if they may."""
    if one_to_one and not two_moderators_present(info):
        return STAFF_NOT_READY
    return None
