"""Microsoft Teams: the platform applies the policy itself (CALL-6), through Microsoft Graph.

Client: the official `msgraph-sdk` (Kiota), app-only client credentials. References:
https://learn.microsoft.com/graph/api/application-post-onlinemeetings-createorget,
.../onlinemeeting-update, .../meetingattendancereport-list, .../attendancerecord-list.

Creation is idempotent by design: `createOrGet` on externalId (the portal's meeting id) returns
the meeting an earlier attempt made. createOrGet takes only subject, times, participants and
chatInfo, so the policy's settings follow in a PATCH (also idempotent), and the drift check
reads the meeting back. Graph calls are async in the SDK; each portal call runs its own loop.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import time
import urllib.parse

import requests
from azure.core.credentials import AccessToken
from django.conf import settings
from kiota_abstractions.api_error import APIError
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.lobby_bypass_scope import LobbyBypassScope
from msgraph.generated.models.lobby_bypass_settings import LobbyBypassSettings
from msgraph.generated.models.meeting_chat_mode import MeetingChatMode
from msgraph.generated.models.online_meeting import OnlineMeeting
from msgraph.generated.models.online_meeting_presenters import OnlineMeetingPresenters
from msgraph.generated.users.item.online_meetings.create_or_get.create_or_get_post_request_body import (
    CreateOrGetPostRequestBody,
)
from msgraph_core import GraphClientFactory

from .base import TEAMS, Attendee, Drift, MeetingInfo, MeetingSpec, Participant, PlatformError
from .remote import RetryLater, cached_token, classify, retry_after_seconds

logger = logging.getLogger(__name__)
NAME = "Microsoft Teams"
SCOPE = "https://graph.microsoft.com/.default"


def policy_fields(spec: MeetingSpec) -> dict:
    """CALL-6, CON-6: the onlineMeeting properties the policy sets (Graph names, for the drift check)."""
    return {
        "lobbyBypassSettings.scope": "organizer",
        "lobbyBypassSettings.isDialInBypassEnabled": False,
        "allowedPresenters": "organizer",
        "allowMeetingChat": "disabled",
        "allowParticipantsToChangeName": False,
        "allowAttendeeToEnableMic": False,
        "allowAttendeeToEnableCamera": True,  # "children must have their camera on"
        "recordAutomatically": False,
        "allowRecording": bool(spec.record),
        "allowTranscription": bool(spec.record),
        "isEntryExitAnnounced": True,
    }


def policy_meeting(spec: MeetingSpec) -> OnlineMeeting:
    """The same settings as the SDK's model (serialised by the SDK: a misspelt field cannot be sent)."""
    return OnlineMeeting(
        lobby_bypass_settings=LobbyBypassSettings(scope=LobbyBypassScope.Organizer, is_dial_in_bypass_enabled=False),
        allowed_presenters=OnlineMeetingPresenters.Organizer,
        allow_meeting_chat=MeetingChatMode.Disabled,
        allow_participants_to_change_name=False,
        allow_attendee_to_enable_mic=False,
        allow_attendee_to_enable_camera=True,
        record_automatically=False,
        allow_recording=bool(spec.record),
        allow_transcription=bool(spec.record),
        is_entry_exit_announced=True,
    )


def _enum(value):
    return getattr(value, "value", value)


def read_fields(meeting: OnlineMeeting) -> dict:
    lobby = meeting.lobby_bypass_settings
    return {
        "lobbyBypassSettings.scope": _enum(lobby.scope) if lobby else None,
        "lobbyBypassSettings.isDialInBypassEnabled": lobby.is_dial_in_bypass_enabled if lobby else None,
        "allowedPresenters": _enum(meeting.allowed_presenters),
        "allowMeetingChat": _enum(meeting.allow_meeting_chat),
        "allowParticipantsToChangeName": meeting.allow_participants_to_change_name,
        "allowAttendeeToEnableMic": meeting.allow_attendee_to_enable_mic,
        "allowAttendeeToEnableCamera": meeting.allow_attendee_to_enable_camera,
        "recordAutomatically": meeting.record_automatically,
        "allowRecording": meeting.allow_recording,
        "allowTranscription": meeting.allow_transcription,
        "isEntryExitAnnounced": meeting.is_entry_exit_announced,
    }


class ClientCredentialsToken:
    """A TokenCredential for the client-credentials grant, cached in the Django cache.

    azure-identity's ClientSecretCredential (MSAL) accepts only https authorities; this small
    credential speaks the same OAuth 2.0 request to `{authority}/{tenant}/oauth2/v2.0/token`, so
    the same code runs against Entra ID and against the test suite's fake over plain HTTP.
    """

    def __init__(self, *, authority: str, tenant_id: str, client_id: str, client_secret: str, timeout: float = 15.0):
        self.url = f"{authority.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.cache_id = f"{tenant_id}:{client_id}"

    def _fetch(self):
        try:
            response = requests.post(
                self.url,
                data={
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "scope": SCOPE,
                    "grant_type": "client_credentials",
                },
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise RetryLater(f"{NAME} could not be reached; the portal will try again.") from error
        if response.status_code != 200:
            detail = ""
            with contextlib.suppress(ValueError):
                detail = response.json().get("error", "")
            raise classify(response.status_code, response.headers, NAME, detail)
        body = response.json()
        return body["access_token"], int(body.get("expires_in", 3600))

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        token = cached_token(TEAMS, self.cache_id, self._fetch)
        return AccessToken(token, int(time.time()) + 300)


class TeamsAdapter:
    key = TEAMS
    applies_settings = True
    books_ahead = True

    NOT_VERIFIABLE = (
        "Locking the meeting 5 minutes after the start in Teams itself (the portal stops handing out the address).",
        "Children admitted one at a time: the lobby holds everyone; admitting is the host's.",
        "The host's profile picture and signing in with the school account.",
        "Attendance reports exist only after a meeting has been held.",
        "The application access policy for users other than the one checked.",
    )

    def __init__(
        self, *, tenant_id: str, client_id: str, client_secret: str, graph_url: str, authority: str, default_host: str = ""
    ):
        self.graph_url = graph_url.rstrip("/")
        self.default_host = default_host
        self.credential = ClientCredentialsToken(
            authority=authority, tenant_id=tenant_id, client_id=client_id, client_secret=client_secret
        )

    @classmethod
    def from_settings(cls) -> "TeamsAdapter":
        return cls(
            tenant_id=settings.PORTAL_TEAMS_TENANT_ID,
            client_id=settings.PORTAL_TEAMS_CLIENT_ID,
            client_secret=settings.PORTAL_TEAMS_CLIENT_SECRET,
            graph_url=settings.PORTAL_TEAMS_GRAPH_URL,
            authority=settings.PORTAL_TEAMS_AUTHORITY,
            default_host=settings.PORTAL_TEAMS_DEFAULT_HOST,
        )

    # --- the wire -------------------------------------------------------------------------

    def _client(self) -> GraphServiceClient:
        host = urllib.parse.urlsplit(self.graph_url).hostname
        auth = AzureIdentityAuthenticationProvider(self.credential, scopes=[SCOPE], allowed_hosts=[host])
        # The SDK's own retry would hold the worker asleep; Celery retries instead (Retry-After honoured).
        http = GraphClientFactory.create_with_default_middleware(
            options={RetryHandlerOption.get_key(): RetryHandlerOption(max_retries=0)}
        )
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = self.graph_url
        return GraphServiceClient(request_adapter=adapter)

    def _run(self, work, *, missing_ok=False):
        """Run one async SDK call; Graph errors become RetryLater (429, 5xx) or PlatformError."""

        async def go():
            client = self._client()
            try:
                return await work(client)
            finally:
                await client.request_adapter._http_client.aclose()

        try:
            return asyncio.run(go())
        except APIError as error:
            status = error.response_status_code or 0
            if status == 404 and missing_ok:
                return None
            headers = error.response_headers or {}
            retry_after = headers.get("retry-after") or headers.get("Retry-After")
            if isinstance(retry_after, (set, list, tuple)):
                retry_after = next(iter(retry_after), None)
            if status == 429 or status >= 500:
                raise RetryLater(
                    f"{NAME} is busy or unavailable (HTTP {status}); the portal will try again.",
                    retry_after=retry_after_seconds(retry_after),
                    status=status,
                ) from error
            code = getattr(getattr(error, "error", None), "code", "") or ""
            raise PlatformError(f"{NAME} refused the request (HTTP {status}{', ' + code if code else ''}).") from error
        except PlatformError:
            raise
        except Exception as error:  # httpx transport errors: the platform could not be reached
            if type(error).__module__.startswith(("httpx", "httpcore")):
                raise RetryLater(f"{NAME} could not be reached; the portal will try again.") from error
            raise

    def _host(self, spec: MeetingSpec) -> str:
        host = spec.host_email or self.default_host
        if not host:
            raise PlatformError("Teams needs the host's school account (or PORTAL_TEAMS_DEFAULT_HOST).")
        return host

    def _meetings(self, client, spec_or_host):
        host = spec_or_host if isinstance(spec_or_host, str) else self._host(spec_or_host)
        return client.users.by_user_id(host).online_meetings

    # --- the adapter contract --------------------------------------------------------------

    def find_meeting(self, spec: MeetingSpec) -> MeetingInfo | None:
        return None  # createOrGet is itself the search: create_meeting never makes a second

    def create_meeting(self, spec: MeetingSpec, *, now: dt.datetime | None = None) -> MeetingInfo:
        body = CreateOrGetPostRequestBody(
            external_id=spec.meeting_id,
            subject=spec.name,
            start_date_time=spec.starts_at.astimezone(dt.UTC),
            end_date_time=spec.ends_at.astimezone(dt.UTC),
        )

        async def work(client):
            meetings = self._meetings(client, spec)
            made = await meetings.create_or_get.post(body)
            return await meetings.by_online_meeting_id(made.id).patch(policy_meeting(spec)) or made

        meeting = self._run(work)
        return MeetingInfo(
            running=False, name=meeting.subject or spec.name, external_id=meeting.id or "", join_url=meeting.join_web_url or ""
        )

    def update_meeting(self, spec: MeetingSpec, external_id: str) -> None:
        """The call moved (or its recording consent changed): new times and the policy again."""
        change = policy_meeting(spec)
        change.subject = spec.name
        change.start_date_time = spec.starts_at.astimezone(dt.UTC)
        change.end_date_time = spec.ends_at.astimezone(dt.UTC)
        self._run(lambda client: self._meetings(client, spec).by_online_meeting_id(external_id).patch(change))

    def join_url(self, spec: MeetingSpec, participant: Participant, create_time: int | None) -> str:
        raise PlatformError("Teams join addresses come from the meeting record (platforms.hosted).")

    def meeting_info(self, meeting_id: str) -> MeetingInfo | None:
        return None  # who is in the lobby is not readable by app-only Graph

    def running_meetings(self) -> list[MeetingInfo]:
        return []

    def end_meeting(self, meeting_id: str) -> None:
        return None

    def delete_meeting(self, external_id: str, host: str = "") -> None:
        host = host or self.default_host
        self._run(lambda client: self._meetings(client, host).by_online_meeting_id(external_id).delete(), missing_ok=True)

    def drift(self, spec: MeetingSpec, external_id: str = "") -> list[Drift]:
        if not external_id:
            return []

        async def work(client):
            return await self._meetings(client, spec).by_online_meeting_id(external_id).get()

        meeting = self._run(work, missing_ok=True)
        if meeting is None:
            return [Drift("Meeting", "exists on Teams", "deleted")]
        found = read_fields(meeting)
        return [
            Drift(name, _show(wanted), _show(found.get(name)))
            for name, wanted in policy_fields(spec).items()
            if found.get(name) != wanted
        ]

    def attendance(self, external_id: str, host: str = "") -> MeetingInfo | None:
        """LOG-1: the latest attendance report's records (who, when they joined and left)."""
        host = host or self.default_host

        async def work(client):
            item = self._meetings(client, host).by_online_meeting_id(external_id)
            reports = await item.attendance_reports.get()
            if not reports or not reports.value:
                return None
            latest = max(reports.value, key=lambda r: r.meeting_start_date_time or dt.datetime.min.replace(tzinfo=dt.UTC))
            records = await item.attendance_reports.by_meeting_attendance_report_id(latest.id).attendance_records.get()
            return latest, (records.value if records else []) or []

        found = self._run(work, missing_ok=True)
        if not found:
            return None
        report, records = found
        attendees = [
            Attendee(
                user_id=f"teams-{(r.identity.id if r.identity else '') or r.email_address or r.id}",
                full_name=(r.identity.display_name if r.identity else "") or "",
                role="MODERATOR" if (r.role or "").lower() in ("organizer", "coorganizer", "presenter") else "VIEWER",
                has_video=False,
            )
            for r in records
        ]
        return MeetingInfo(
            running=False,
            attendees=attendees,
            start_time=report.meeting_start_date_time,
            end_time=report.meeting_end_date_time,
            meeting_id=external_id,
            external_id=external_id,
        )


def _show(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return "not set" if value is None else str(value)
