"""Google Meet: the platform applies the policy itself (CALL-6), through the Meet REST API v2.

Client: the official `google-apps-meet` (SpacesServiceClient, ConferenceRecordsServiceClient) on its
REST transport, authorised by a service account with domain-wide delegation to the host (google-auth).
References: https://developers.google.com/meet/api/reference/rest/v2/spaces (SpaceConfig),
.../conferenceRecords and .../conferenceRecords.participants.

A space is made when the call is booked, its config restricting access and turning moderation on
(chat and presenting for hosts only), with no automatic recording, transcript or notes. Meet has no
idempotency key and no list of spaces: a retry after a 429/5xx is safe (nothing was made), but a
response lost after success leaves an unused, restricted space nobody has the address of.
"""

import datetime as dt
import logging

from django.conf import settings
from google.api_core import exceptions as google_errors
from google.apps import meet_v2
from google.auth.transport import requests as google_requests
from google.oauth2 import credentials as oauth2_credentials
from google.oauth2 import service_account
from google.protobuf import field_mask_pb2

from .base import MEET, MODERATOR, Attendee, Drift, MeetingInfo, MeetingSpec, Participant, PlatformError
from .remote import RetryLater, cached_token, retry_after_seconds

logger = logging.getLogger(__name__)
NAME = "Google Meet"
SCOPES = ["https://www.googleapis.com/auth/meetings.space.created", "https://www.googleapis.com/auth/meetings.space.readonly"]
Config = meet_v2.SpaceConfig
Restriction = Config.ModerationRestrictions.RestrictionType
Auto = Config.ArtifactConfig.AutoGenerationType
# One service-account credentials object per host per worker process (parsing the key file once).
_credentials: dict = {}


def policy_config() -> meet_v2.SpaceConfig:
    """CALL-6, CON-6: the SpaceConfig the policy sets."""
    return Config(
        access_type=Config.AccessType.RESTRICTED,  # everyone not invited knocks: the waiting room
        entry_point_access=Config.EntryPointAccess.ALL,  # families join from the address the portal hands over
        moderation=Config.Moderation.ON,
        moderation_restrictions=Config.ModerationRestrictions(
            chat_restriction=Restriction.HOSTS_ONLY,
            reaction_restriction=Restriction.HOSTS_ONLY,
            present_restriction=Restriction.HOSTS_ONLY,
            default_join_as_viewer_type=Config.ModerationRestrictions.DefaultJoinAsViewerType.OFF,
        ),
        attendance_report_generation_type=Config.AttendanceReportGenerationType.GENERATE_REPORT,
        artifact_config=Config.ArtifactConfig(
            recording_config=Config.ArtifactConfig.RecordingConfig(auto_recording_generation=Auto.OFF),
            transcription_config=Config.ArtifactConfig.TranscriptionConfig(auto_transcription_generation=Auto.OFF),
            smart_notes_config=Config.ArtifactConfig.SmartNotesConfig(auto_smart_notes_generation=Auto.OFF),
        ),
    )


def config_fields(config: meet_v2.SpaceConfig) -> dict:
    """The settings the drift check compares, by their REST names."""
    mod, art = config.moderation_restrictions, config.artifact_config
    recording, transcription, notes = art.recording_config, art.transcription_config, art.smart_notes_config
    return {
        "config.accessType": config.access_type.name,
        "config.moderation": config.moderation.name,
        "config.moderationRestrictions.chatRestriction": mod.chat_restriction.name,
        "config.moderationRestrictions.presentRestriction": mod.present_restriction.name,
        "config.artifactConfig.recordingConfig.autoRecordingGeneration": recording.auto_recording_generation.name,
        "config.artifactConfig.transcriptionConfig.autoTranscriptionGeneration": transcription.auto_transcription_generation.name,
        "config.artifactConfig.smartNotesConfig.autoSmartNotesGeneration": notes.auto_smart_notes_generation.name,
    }


class MeetAdapter:
    key = MEET
    applies_settings = True
    books_ahead = True

    NOT_VERIFIABLE = (
        "Locking the meeting 5 minutes after the start in Meet itself (the portal stops handing out the address).",
        "Microphones and cameras off on entry, and renaming: not space settings in the Meet API.",
        "Recording by hand when CON-6 does not allow it: set in the Google Admin console.",
        "Attendance: conference records exist only after a meeting has been held.",
    )

    def __init__(self, *, service_account_file: str, delegated_user: str, api_endpoint: str, timeout: float = 15.0):
        self.service_account_file = service_account_file
        self.delegated_user = delegated_user
        self.api_endpoint = api_endpoint
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> "MeetAdapter":
        return cls(
            service_account_file=settings.PORTAL_MEET_SERVICE_ACCOUNT_FILE,
            delegated_user=settings.PORTAL_MEET_DELEGATED_USER,
            api_endpoint=settings.PORTAL_MEET_API_ENDPOINT,
        )

    # --- the wire -------------------------------------------------------------------------

    def _creds(self, host: str):
        """A bearer token for `host`, from the cache or from google-auth's service-account grant.

        The generated clients copy the credentials they are given (scopes, JWT access), so a token
        fetched inside one client dies with it; the token is fetched here once and cached in Redis
        (per host) until shortly before it expires."""
        key = (self.service_account_file, host)
        if key not in _credentials:
            base = service_account.Credentials.from_service_account_file(self.service_account_file, scopes=SCOPES)
            _credentials[key] = base.with_subject(host) if host else base
        account = _credentials[key]

        def fetch():
            account.refresh(google_requests.Request())
            remaining = (account.expiry - dt.datetime.utcnow()).total_seconds() if account.expiry else 3600  # noqa: DTZ003 (google-auth's naive UTC)
            return account.token, remaining

        token = cached_token(MEET, f"{account.service_account_email}:{host}", fetch)
        return oauth2_credentials.Credentials(token=token)

    def _options(self):
        return {"api_endpoint": self.api_endpoint}

    def spaces(self, host: str) -> meet_v2.SpacesServiceClient:
        return meet_v2.SpacesServiceClient(credentials=self._creds(host), transport="rest", client_options=self._options())

    def records(self, host: str) -> meet_v2.ConferenceRecordsServiceClient:
        return meet_v2.ConferenceRecordsServiceClient(
            credentials=self._creds(host), transport="rest", client_options=self._options()
        )

    def _run(self, call, *, missing_ok=False):
        try:
            return call()
        except google_errors.NotFound:
            if missing_ok:
                return None
            raise PlatformError(f"{NAME}: the space was not found.") from None
        except google_errors.GoogleAPICallError as error:
            status = int(error.code or 0)
            response = getattr(error, "response", None)
            retry_after = response.headers.get("Retry-After") if response is not None else None
            if status == 429 or status >= 500:
                raise RetryLater(
                    f"{NAME} is busy or unavailable (HTTP {status}); the portal will try again.",
                    retry_after=retry_after_seconds(retry_after),
                    status=status,
                ) from error
            raise PlatformError(f"{NAME} refused the request (HTTP {status}): {error.message}"[:280]) from error
        except google_errors.RetryError as error:
            raise RetryLater(f"{NAME} could not be reached; the portal will try again.") from error
        except Exception as error:
            # google-auth's token exchange failing (the token endpoint's own errors).
            from google.auth import exceptions as auth_errors

            if isinstance(error, auth_errors.TransportError):
                raise RetryLater(f"{NAME} could not be reached; the portal will try again.") from error
            if isinstance(error, auth_errors.RefreshError):
                raise PlatformError(f"{NAME} refused the portal's credentials: {error}"[:280]) from error
            raise

    def _host(self, spec: MeetingSpec) -> str:
        return spec.host_email or self.delegated_user

    # --- the adapter contract --------------------------------------------------------------

    def find_meeting(self, spec: MeetingSpec) -> MeetingInfo | None:
        return None  # Meet lists no spaces: see the module's note on lost responses

    def create_meeting(self, spec: MeetingSpec, *, now: dt.datetime | None = None) -> MeetingInfo:
        request = meet_v2.CreateSpaceRequest(space=meet_v2.Space(config=policy_config()))
        space = self._run(lambda: self.spaces(self._host(spec)).create_space(request=request, retry=None, timeout=self.timeout))
        return MeetingInfo(running=False, name=spec.name, external_id=space.name, join_url=space.meeting_uri)

    def update_meeting(self, spec: MeetingSpec, external_id: str) -> None:
        """A space has no time: only the policy's config is applied again (the address stays)."""
        request = meet_v2.UpdateSpaceRequest(
            space=meet_v2.Space(name=external_id, config=policy_config()),
            update_mask=field_mask_pb2.FieldMask(paths=["config"]),
        )
        self._run(lambda: self.spaces(self._host(spec)).update_space(request=request, retry=None, timeout=self.timeout))

    def join_url(self, spec: MeetingSpec, participant: Participant, create_time: int | None) -> str:
        raise PlatformError("Meet join addresses come from the meeting record (platforms.hosted).")

    def meeting_info(self, meeting_id: str) -> MeetingInfo | None:
        return None

    def running_meetings(self) -> list[MeetingInfo]:
        return []

    def end_meeting(self, meeting_id: str) -> None:
        return None

    def delete_meeting(self, external_id: str, host: str = "") -> None:
        """Meet has no delete: end any conference; the unused space expires on its own."""
        self._run(
            lambda: self.spaces(host or self.delegated_user).end_active_conference(
                request=meet_v2.EndActiveConferenceRequest(name=external_id), retry=None, timeout=self.timeout
            ),
            missing_ok=True,
        )

    def drift(self, spec: MeetingSpec, external_id: str = "") -> list[Drift]:
        if not external_id:
            return []
        space = self._run(
            lambda: self.spaces(self._host(spec)).get_space(
                request=meet_v2.GetSpaceRequest(name=external_id), retry=None, timeout=self.timeout
            ),
            missing_ok=True,
        )
        if space is None:
            return [Drift("Meeting", "exists on Google Meet", "deleted")]
        wanted, found = config_fields(policy_config()), config_fields(space.config)
        return [Drift(name, value, found.get(name, "")) for name, value in wanted.items() if found.get(name) != value]

    def staff_in_meeting(self, external_id: str, staff: list, host: str = "") -> MeetingInfo | None:
        """CALL-3: members of staff in the space's conference now, as MODERATOR attendees.

        The active conference is the record without an end time; the people in it are its
        participants without a latestEndTime. A member of staff is a *signed-in* participant whose
        Workspace account name is theirs in the portal: a guest types their own name, so an anonymous
        participant never counts, and one account on two devices is one user and counts once."""
        client = self.records(host or self.delegated_user)
        active = self._run(
            lambda: list(
                client.list_conference_records(
                    request=meet_v2.ListConferenceRecordsRequest(filter=f'space.name = "{external_id}" AND end_time IS NULL'),
                    retry=None,
                    timeout=self.timeout,
                )
            )
        )
        if not active:
            return MeetingInfo(running=False, external_id=external_id)
        record = max(active, key=lambda r: r.start_time)
        people = self._run(
            lambda: list(
                client.list_participants(
                    request=meet_v2.ListParticipantsRequest(parent=record.name, filter="latest_end_time IS NULL"),
                    retry=None,
                    timeout=self.timeout,
                )
            )
        )
        names = {" ".join(m.get("name", "").casefold().split()): m["person"] for m in staff if m.get("name")}
        attendees = []
        for person in people:
            if meet_v2.Participant.pb(person).WhichOneof("user") != "signedin_user":
                continue
            member = names.get(" ".join(person.signedin_user.display_name.casefold().split()))
            if member:
                attendees.append(Attendee(member, person.signedin_user.display_name, MODERATOR, False))
        return MeetingInfo(running=True, attendees=attendees, external_id=external_id)

    def attendance(self, external_id: str, host: str = "") -> MeetingInfo | None:
        """LOG-1: the latest conference in the space and its participants."""
        client = self.records(host or self.delegated_user)
        listing = self._run(
            lambda: list(
                client.list_conference_records(
                    request=meet_v2.ListConferenceRecordsRequest(filter=f'space.name = "{external_id}"'),
                    retry=None,
                    timeout=self.timeout,
                )
            )
        )
        if not listing:
            return None
        record = max(listing, key=lambda r: r.start_time)
        people = self._run(
            lambda: list(
                client.list_participants(
                    request=meet_v2.ListParticipantsRequest(parent=record.name), retry=None, timeout=self.timeout
                )
            )
        )
        attendees = []
        for person in people:
            kind = meet_v2.Participant.pb(person).WhichOneof("user")
            who = getattr(person, kind) if kind else None
            attendees.append(
                Attendee(
                    user_id=f"meet-{getattr(who, 'user', '') or person.name}",
                    full_name=getattr(who, "display_name", ""),
                    role="PARTICIPANT",
                    has_video=False,
                )
            )
        end = record.end_time if record.end_time and record.end_time.year > 1970 else None
        return MeetingInfo(
            running=end is None,
            attendees=attendees,
            start_time=record.start_time,
            end_time=end,
            meeting_id=external_id,
            external_id=external_id,
        )
