"""CALL-6: the platform settings the policy requires, as data per platform.

Each item is a setting the host confirms on the call page (a HostChecklistTick), or that a
platform adapter applies through the platform's API. An adapter can read `settings_for(platform)`
and apply every item whose key it understands; the host still sees the list.
"""

from dataclasses import dataclass

from .choices import Platform


@dataclass(frozen=True)
class PlatformSetting:
    key: str
    label: str
    # How to do it on this platform, shown under the label.
    how: str = ""


# The policy's list, in the order a host works through it before starting.
REQUIRED = [
    PlatformSetting(
        "school_account", "Signed in with the school account; profile picture the school logo, staff notice image or blank"
    ),
    PlatformSetting("waiting_room", "Waiting room (lobby) on"),
    PlatformSetting("mute_on_entry", "Microphones and video muted on entry"),
    PlatformSetting("admit_one_at_a_time", "Children admitted one at a time, camera on"),
    PlatformSetting("lock_after_start", "Call locked 5 minutes after the start"),
    PlatformSetting("no_private_chat", "Private messaging between participants off"),
    PlatformSetting("staff_only_screen_share", "Screen sharing for staff only"),
    PlatformSetting("staff_only_file_transfer", "File transfer off except for staff"),
    PlatformSetting("real_names_locked", "Participants named by their real name, renaming locked"),
    PlatformSetting("recording_off", "Recording off (unless this call may be recorded)"),
]

# Where each setting lives on each platform (hints only; the keys are the contract).
HOW = {
    Platform.MICROSOFT_TEAMS: {
        "waiting_room": "Meeting options: Who can bypass the lobby = Only me and co-organisers.",
        "mute_on_entry": "Meeting options: Allow mic and camera for attendees = off.",
        "lock_after_start": "In the meeting: More > Lock the meeting.",
        "no_private_chat": "Meeting options: Meeting chat = off.",
        "staff_only_screen_share": "Meeting options: Who can present = Only me and co-organisers.",
    },
    Platform.ZOOM: {
        "waiting_room": "Settings > Security > Waiting room.",
        "mute_on_entry": "Settings > Mute all participants when they join.",
        "lock_after_start": "Security > Lock meeting.",
        "no_private_chat": "Settings > Chat > Allow participants to chat with: Host only.",
        "staff_only_screen_share": "Settings > Screen sharing > Only host.",
        "real_names_locked": "Security > uncheck Rename themselves.",
    },
    Platform.GOOGLE_MEET: {
        "waiting_room": "Host controls > Meeting access = Trusted.",
        "staff_only_screen_share": "Host controls > Share their screen = off.",
        "no_private_chat": "Host controls > Send chat messages = off.",
    },
    Platform.BIGBLUEBUTTON: {
        "waiting_room": "Room settings > Require moderator approval before joining.",
        "mute_on_entry": "Room settings > Mute users when they join.",
        "no_private_chat": "Lock viewers > Private chat.",
        "real_names_locked": "Names come from the portal and cannot be changed.",
    },
}

# CALL-6 on a configured BigBlueButton server: how the platform (or the portal's gateway) applies
# each item, so the call page shows them as applied instead of as tick boxes (see docs/platforms.md).
APPLIED_BY_BIGBLUEBUTTON = {
    "school_account": "Staff join from the portal under their own name; no personal account or picture is used.",
    "waiting_room": "Every child joins as a guest and waits until staff admit them (guestPolicy ASK_MODERATOR).",
    "mute_on_entry": "Everyone is muted on entry (muteOnStart); lock settings apply on join.",
    "admit_one_at_a_time": "Staff admit each child from the waiting room; a child's camera is shared on entry.",
    "lock_after_start": "The portal hands out join links only until 5 minutes after the start.",
    "no_private_chat": "Private chat is switched off, also in breakout rooms.",
    "staff_only_screen_share": "Only the presenter can share, and staff are the presenter: never hand it to a child.",
    "staff_only_file_transfer": "Presentation downloads and slide snapshots are switched off.",
    "real_names_locked": "Names come from the portal inside the signed link; BigBlueButton has no rename.",
    "recording_off": "Recorded only when the call asks for it and every pupil has recording permission.",
}

ITEM_KEYS = frozenset(item.key for item in REQUIRED)


def settings_for(platform: str) -> list[PlatformSetting]:
    """The required settings for `platform`, each with how to do it there."""
    hints = HOW.get(platform, {})
    return [PlatformSetting(item.key, item.label, hints.get(item.key, "")) for item in REQUIRED]


def recording_item_label(record: bool) -> str:
    """The recording line reads differently for a call that may be recorded (CON-6 checked at booking)."""
    if record:
        return "Recording allowed for this call (every pupil has recording permission): start it only when ready"
    return "Recording off"


# CALL-6 on Zoom, Teams and Meet with the school's API credentials: what the API enforces (see
# docs/platforms.md for the fields). Items missing here stay on the host's checklist.
APPLIED_BY_ZOOM = {
    "waiting_room": "Everyone waits in the waiting room until staff admit them (waiting_room).",
    "mute_on_entry": "Microphones muted and video off on entry (mute_upon_entry, participant_video).",
    "no_private_chat": "Private chat off in the host's Zoom settings, checked before children join.",
    "staff_only_screen_share": "Only the host can share the screen (checked in the host's Zoom settings).",
    "staff_only_file_transfer": "File transfer off (checked in the host's Zoom settings).",
    "recording_off": "Never recorded automatically (auto_recording none); CON-6 decides whether staff may record.",
    "lock_after_start": "The portal hands out the meeting's address only until 5 minutes after the start.",
}
APPLIED_BY_TEAMS = {
    "waiting_room": "Everyone except the organiser waits in the lobby (lobbyBypassSettings: organizer).",
    "mute_on_entry": "Attendees' microphones and cameras are off (allowAttendeeToEnableMic/Camera).",
    "no_private_chat": "Meeting chat is off (allowMeetingChat: disabled).",
    "staff_only_screen_share": "Only the organiser presents (allowedPresenters: organizer).",
    "real_names_locked": "Participants cannot change their names (allowParticipantsToChangeName: false).",
    "recording_off": "Recording and transcription off unless CON-6 allows it (allowRecording, recordAutomatically).",
    "lock_after_start": "The portal hands out the meeting's address only until 5 minutes after the start.",
}
APPLIED_BY_MEET = {
    "waiting_room": "Everyone who is not a host knocks and waits to be let in (accessType: RESTRICTED).",
    "no_private_chat": "Only hosts can chat (moderation on, chatRestriction: HOSTS_ONLY).",
    "staff_only_screen_share": "Only hosts can present (presentRestriction: HOSTS_ONLY).",
    "recording_off": "No automatic recording or transcript (artifactConfig auto-generation off).",
    "lock_after_start": "The portal hands out the meeting's address only until 5 minutes after the start.",
}


def applied_by(platform: str) -> dict[str, str]:
    """How the call's platform applies each CALL-6 item when the portal drives it."""
    return {
        Platform.BIGBLUEBUTTON: APPLIED_BY_BIGBLUEBUTTON,
        Platform.ZOOM: APPLIED_BY_ZOOM,
        Platform.MICROSOFT_TEAMS: APPLIED_BY_TEAMS,
        Platform.GOOGLE_MEET: APPLIED_BY_MEET,
    }.get(platform, {})
