"""The platform adapter contract: plain values in, plain values out.

The calls app describes a meeting as a MeetingSpec and a person as a Participant; an adapter
turns them into the platform's own calls. Nothing here imports the calls app, so either side can
change its models without the other noticing. Which adapter runs is a setting
(PORTAL_PLATFORM), never code: see get_adapter().
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, runtime_checkable

from django.conf import settings

MODERATOR = "MODERATOR"
VIEWER = "VIEWER"

MANUAL = "manual"
BIGBLUEBUTTON = "bigbluebutton"
# The hosted platforms, named as calls.choices.Platform names them (plain values: no import).
ZOOM = "zoom"
TEAMS = "teams"
MEET = "meet"
HOSTED_PLATFORMS = (ZOOM, TEAMS, MEET)
PLATFORM_KEYS = (MANUAL, BIGBLUEBUTTON, *HOSTED_PLATFORMS)

# An attendee the platform knows by its registrant id (Zoom): platforms.registrants names the child.
REGISTRANT_PREFIX = "registrant-"

# ManualAdapter.join_url returns the link the host pasted, passed in MeetingSpec.metadata under this key.
MANUAL_LINK_KEY = "join-link"


class PlatformError(Exception):
    """The platform refused or could not be reached. The text is safe to show to staff."""


@dataclass(frozen=True)
class MeetingSpec:
    """What the portal wants a meeting to be. `record` is True only when CON-6 allows it."""

    meeting_id: str
    name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    record: bool = False
    metadata: dict = field(default_factory=dict)
    # None: the school's choice in settings (PORTAL_BBB_WEBCAMS_ONLY_FOR_MODERATOR).
    webcams_only_for_moderator: bool | None = None
    welcome: str = ""
    # None: the adapter points the platform at the portal's own callback (platforms.tokens), sent
    # as meetingEndedURL, which only the server sees.
    end_callback_url: str | None = None
    # The host's account on a hosted platform (their school email): Zoom and Teams create the
    # meeting under this user. Empty: the platform's configured default host.
    host_email: str = ""


@dataclass(frozen=True)
class Participant:
    """One person joining. `full_name` is the real name the platform shows (CALL-6)."""

    user_id: str
    full_name: str
    is_staff: bool


class Attendee(NamedTuple):
    user_id: str
    full_name: str
    role: str
    has_video: bool


@dataclass(frozen=True)
class MeetingInfo:
    """A meeting as the platform reports it. Times are aware UTC datetimes or None."""

    running: bool
    create_time: int | None = None  # the platform's own id for this instance (ms since epoch on BigBlueButton)
    moderator_count: int = 0
    attendees: list = field(default_factory=list)  # of Attendee
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    meeting_id: str = ""
    name: str = ""
    recording: bool = False
    duration_minutes: int = 0
    metadata: dict = field(default_factory=dict)
    # Hosted platforms: the platform's own id for the meeting and the address it hands out.
    external_id: str = ""
    join_url: str = ""


@dataclass(frozen=True)
class Drift:
    """A setting the platform reports differently from what the policy asked for."""

    setting: str
    expected: str
    actual: str


@runtime_checkable
class PlatformAdapter(Protocol):
    key: str
    # True when the platform itself enforces the CALL-6 settings; False means the host ticks a checklist.
    applies_settings: bool

    def create_meeting(self, spec: MeetingSpec, *, now: dt.datetime | None = None) -> MeetingInfo: ...

    def join_url(self, spec: MeetingSpec, participant: Participant, create_time: int | None) -> str: ...

    def meeting_info(self, meeting_id: str) -> MeetingInfo | None: ...

    def running_meetings(self) -> list[MeetingInfo]: ...

    def end_meeting(self, meeting_id: str) -> None: ...

    def drift(self, spec: MeetingSpec) -> list[Drift]: ...


def get_adapter(platform: str | None = None) -> PlatformAdapter:
    """The adapter for a call on `platform` (a calls.choices.Platform value) or the school's default.

    BigBlueButton applies the policy only when the school has configured a server
    (PORTAL_PLATFORM=bigbluebutton with URL and secret); every other case is the manual checklist.
    """
    configured = settings.PORTAL_PLATFORM
    wanted = configured if platform is None else platform
    # Credentials first: without them the school's choice (a database read) does not matter.
    if wanted in HOSTED_PLATFORMS and wanted in configured_platforms() and wanted == school_platform():
        return hosted_adapter(wanted)
    if wanted == BIGBLUEBUTTON and configured == BIGBLUEBUTTON:
        from .bigbluebutton import BigBlueButtonAdapter

        return BigBlueButtonAdapter.from_settings()
    from .manual import ManualAdapter

    return ManualAdapter()


def school_platform() -> str:
    """The hosted platform the school chose in its settings ("" for none)."""
    from school.models import SchoolSettings

    return SchoolSettings.load().video_platform


def configured_platforms() -> tuple[str, ...]:
    """The hosted platforms whose API credentials the deployment has set (environment or files)."""
    from school.video_platforms import configured_platforms as configured

    return configured()


def hosted_adapter(platform: str) -> PlatformAdapter:
    if platform == ZOOM:
        from .zoom import ZoomAdapter

        return ZoomAdapter.from_settings()
    if platform == TEAMS:
        from .teams import TeamsAdapter

        return TeamsAdapter.from_settings()
    if platform == MEET:
        from .meet import MeetAdapter

        return MeetAdapter.from_settings()
    raise PlatformError(f"Unknown platform {platform!r}.")


def staff_participant(user) -> Participant:
    """A member of staff as the platform should name them: their name in the portal, never their
    email address (no personal contact details in a call)."""
    return Participant(user_id=f"staff-{user.pk}", full_name=user.get_full_name() or "Member of staff", is_staff=True)


def pupil_participant(pupil) -> Participant:
    """CALL-6: a child joins under their real name from the school's directory, never one they typed."""
    return Participant(user_id=f"pupil-{pupil.pk}", full_name=pupil.full_name, is_staff=False)
