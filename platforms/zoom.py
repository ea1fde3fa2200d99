"""Zoom: the platform applies the policy itself (CALL-6), through its REST API v2.

API reference: https://developers.zoom.us/docs/api/meetings/ (Meetings, Users > settings,
Reports/past meetings) and https://developers.zoom.us/docs/internal-apps/s2s-oauth/ (tokens).
Zoom publishes no maintained official Python client for the REST API, so this is a small one
on `requests`: server-to-server OAuth (account_credentials grant, token cached), JSON in and out.

What a meeting carries (docs/platforms.md has the full table): waiting room on, nobody joins
before the host, everyone muted on entry, attendee video off on entry, no automatic recording
ever (CON-6: a recorded lesson still records only when staff press Record), sign-in required
when the school asks for it. Private chat, file transfer and who may share the screen are the
host's *user* settings on Zoom, not the meeting's: the adapter reads them back as drift.
"""

import datetime as dt
import logging

import requests
from django.conf import settings

from . import policy
from .base import MODERATOR, REGISTRANT_PREFIX, ZOOM, Attendee, Drift, MeetingInfo, MeetingSpec, Participant, PlatformError
from .remote import RetryLater, cached_token, classify, forget_token

logger = logging.getLogger(__name__)
NAME = "Zoom"
SCHEDULED_MEETING = 2
# Registration on, approved automatically: each child gets their own registrant and join address.
AUTOMATIC_APPROVAL = 0
REGISTER_ONCE = 1
# The Dashboard API (live participants) needs a Business plan or above and a dashboard scope:
# these answers mean "this account cannot tell who is in the meeting", not "nobody is".
CANNOT_TELL_STATUSES = (400, 403, 404)
REFUSED = object()  # what _call answers for a status the caller listed in `refused`
# The portal's reference in the agenda: how a retry finds the meeting a lost attempt created.
REFERENCE_PREFIX = "EGPS Portal reference: "


def reference(spec: MeetingSpec) -> str:
    return f"{REFERENCE_PREFIX}{spec.meeting_id}"


def meeting_settings(*, require_authentication: bool) -> dict:
    """CALL-6, CON-6: the `settings` object of POST /users/{userId}/meetings."""
    return {
        "waiting_room": True,
        "join_before_host": False,
        "mute_upon_entry": True,
        "host_video": True,
        "participant_video": False,
        "auto_recording": "none",
        "meeting_authentication": require_authentication,
        "approval_type": AUTOMATIC_APPROVAL,
        "registration_type": REGISTER_ONCE,
        # Zoom must never email a family their join address: the portal's gateway hands it over.
        "registrants_confirmation_email": False,
        "registrants_email_notification": False,
        "private_meeting": True,
        "continuous_meeting_chat": {"enable": False},
    }


# CALL-6 items that live in the host's user settings (GET /users/{userId}/settings, in_meeting).
USER_SETTINGS = {
    "private_chat": (False, "Private chat between participants"),
    "file_transfer": (False, "File transfer"),
    "who_can_share_screen": ("host", "Who can share the screen"),
}


# Not CALL-6 items (the host's own video), not echoed by every account type, or write-only.
DRIFT_SKIPPED = (
    "continuous_meeting_chat",
    "host_video",
    "registration_type",
    "registrants_confirmation_email",
    "registrants_email_notification",
)


def _show(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


class ZoomAdapter:
    key = ZOOM
    applies_settings = True
    books_ahead = True  # the meeting is created when the call is booked (a Celery task), not at join

    def __init__(
        self,
        *,
        account_id: str,
        client_id: str,
        client_secret: str,
        api_url: str,
        oauth_url: str,
        default_host: str = "",
        require_authentication: bool = False,
        timeout: float = 15.0,
    ):
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.api_url = api_url.rstrip("/")
        self.oauth_url = oauth_url
        self.default_host = default_host
        self.require_authentication = require_authentication
        self.timeout = timeout
        self.session = requests.Session()

    @classmethod
    def from_settings(cls) -> "ZoomAdapter":
        return cls(
            account_id=settings.PORTAL_ZOOM_ACCOUNT_ID,
            client_id=settings.PORTAL_ZOOM_CLIENT_ID,
            client_secret=settings.PORTAL_ZOOM_CLIENT_SECRET,
            api_url=settings.PORTAL_ZOOM_API_URL,
            oauth_url=settings.PORTAL_ZOOM_OAUTH_URL,
            default_host=settings.PORTAL_ZOOM_DEFAULT_HOST,
            require_authentication=settings.PORTAL_ZOOM_REQUIRE_AUTHENTICATION,
        )

    # --- the wire -------------------------------------------------------------------------

    def _fetch_token(self):
        try:
            response = self.session.post(
                self.oauth_url,
                params={"grant_type": "account_credentials", "account_id": self.account_id},
                auth=(self.client_id, self.client_secret),
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise RetryLater(f"{NAME} could not be reached; the portal will try again.") from error
        if response.status_code != 200:
            raise classify(response.status_code, response.headers, NAME, _reason(response))
        body = response.json()
        return body["access_token"], body.get("expires_in", 3600)

    def _token(self) -> str:
        return cached_token(ZOOM, self.client_id, self._fetch_token)

    def _call(self, method: str, path: str, *, json=None, params=None, missing_ok=False, _retried=False, refused=()):
        try:
            response = self.session.request(
                method,
                f"{self.api_url}{path}",
                json=json,
                params=params,
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {self._token()}", "Accept": "application/json"},
            )
        except requests.RequestException as error:
            logger.warning("Zoom %s %s could not be reached: %s", method, path.split("/")[1], type(error).__name__)
            raise RetryLater(f"{NAME} could not be reached; the portal will try again.") from error
        if response.status_code == 401 and not _retried:
            forget_token(ZOOM, self.client_id)  # revoked early: one fresh token, once
            return self._call(method, path, json=json, params=params, missing_ok=missing_ok, _retried=True, refused=refused)
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code in refused:
            return REFUSED
        if response.status_code >= 400:
            raise classify(response.status_code, response.headers, NAME, _reason(response))
        return response.json() if response.content else {}

    def _host(self, spec: MeetingSpec) -> str:
        host = spec.host_email or self.default_host
        if not host:
            raise PlatformError("Zoom needs the host's school email address (or PORTAL_ZOOM_DEFAULT_HOST).")
        return host

    # --- what the policy sends --------------------------------------------------------------

    def create_body(self, spec: MeetingSpec) -> dict:
        minutes = policy.meeting_duration_minutes(ends_at=spec.ends_at, now=spec.starts_at)
        return {
            "topic": spec.name[:200],
            "type": SCHEDULED_MEETING,
            "start_time": spec.starts_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": minutes,
            "timezone": "UTC",
            "agenda": reference(spec),
            "settings": meeting_settings(require_authentication=self.require_authentication),
        }

    # --- the adapter contract --------------------------------------------------------------

    def find_meeting(self, spec: MeetingSpec) -> MeetingInfo | None:
        """The meeting an earlier, lost attempt created: the host's upcoming meetings whose agenda
        carries this call's reference (the list leaves the agenda out, so each candidate is read)."""
        host = self._host(spec)
        page_token = ""
        while True:
            params = {"type": "upcoming", "page_size": 300}
            if page_token:
                params["next_page_token"] = page_token
            body = self._call("GET", f"/users/{requests.utils.quote(host)}/meetings", params=params)
            for item in body.get("meetings", []):
                if item.get("topic") != spec.name[:200]:
                    continue
                meeting = self._call("GET", f"/meetings/{item['id']}", missing_ok=True)
                if meeting and meeting.get("agenda") == reference(spec):
                    return _info(meeting)
            page_token = body.get("next_page_token") or ""
            if not page_token:
                return None

    def create_meeting(self, spec: MeetingSpec, *, now: dt.datetime | None = None) -> MeetingInfo:
        host = self._host(spec)
        return _info(self._call("POST", f"/users/{requests.utils.quote(host)}/meetings", json=self.create_body(spec)))

    def update_meeting(self, spec: MeetingSpec, external_id: str) -> None:
        """The call moved (or its recording consent changed): the same meeting, new time, the policy again."""
        body = self.create_body(spec)
        body.pop("type")
        self._call("PATCH", f"/meetings/{external_id}", json=body)

    def join_url(self, spec: MeetingSpec, participant: Participant, create_time: int | None) -> str:
        """The meeting's address as Zoom made it (the gateway reads it from HostedMeeting)."""
        url = spec.metadata.get("hosted-join-url", "")
        if not url:
            raise PlatformError("The Zoom meeting for this call has not been created yet.")
        return url

    def meeting_info(self, meeting_id: str) -> MeetingInfo | None:
        body = self._call("GET", f"/meetings/{meeting_id}", missing_ok=True)
        return None if body is None else _info(body)

    def running_meetings(self) -> list[MeetingInfo]:
        return []  # attendance is read after the meeting (past_meetings), not polled

    # What `manage.py platform_check` cannot prove on a real account (said in its report).
    NOT_VERIFIABLE = (
        "Locking the meeting 5 minutes after the start in Zoom itself (the portal stops handing out the address).",
        "Renaming locked: an account setting the API does not show; check it in the Zoom admin portal.",
        "Recording by hand: only automatic recording is off; lock recording off in the admin portal.",
        "Attendance: needs a held meeting (past_meetings) and a Pro account or above.",
        "Two staff present (CALL-3): needs a started meeting and the Dashboard API (Business plan, dashboard scope).",
    )

    def delete_meeting(self, external_id: str, host: str = "") -> None:
        self._call("DELETE", f"/meetings/{external_id}", missing_ok=True)

    def end_meeting(self, meeting_id: str) -> None:
        self._call("PUT", f"/meetings/{meeting_id}/status", json={"action": "end"}, missing_ok=True)

    def drift(self, spec: MeetingSpec, external_id: str = "") -> list[Drift]:
        """Read the meeting and the host's in-meeting settings back; list what differs from the policy."""
        if not external_id:
            return []
        meeting = self._call("GET", f"/meetings/{external_id}", missing_ok=True)
        if meeting is None:
            return [Drift("Meeting", "exists on Zoom", "deleted")]
        drifts = []
        got = meeting.get("settings", {})
        for name, wanted in meeting_settings(require_authentication=self.require_authentication).items():
            if name in DRIFT_SKIPPED:
                continue  # not a CALL-6 item (the host's own video) or not echoed by every account type
            if got.get(name) != wanted:
                drifts.append(Drift(name, _show(wanted), _show(got.get(name))))
        user = self._call("GET", f"/users/{requests.utils.quote(self._host(spec))}/settings", missing_ok=True) or {}
        in_meeting = user.get("in_meeting", {})
        for name, (wanted, label) in USER_SETTINGS.items():
            if name in in_meeting and in_meeting[name] != wanted:
                drifts.append(Drift(label, _show(wanted), _show(in_meeting[name])))
        return drifts

    # --- registrants: each child's own join address ---------------------------------------------

    supports_registrants = True

    def add_registrant(self, external_id: str, *, email: str, first_name: str, last_name: str) -> tuple[str, str]:
        """POST /meetings/{meetingId}/registrants: (registrant_id, join_url). Zoom answers an address
        already registered for the meeting with that registrant, so a retry after a lost answer
        makes nothing new. The join URL is a secret of the family's: never logged."""
        body = {"email": email, "first_name": first_name[:64], "last_name": last_name[:64]}
        answer = self._call("POST", f"/meetings/{external_id}/registrants", json=body)
        if not answer.get("registrant_id") or not answer.get("join_url"):
            raise PlatformError("Zoom registered the child but gave no join address (is registration on?).")
        return str(answer["registrant_id"]), answer["join_url"]

    def set_registrants_status(self, external_id: str, action: str, registrants: list[tuple[str, str]]) -> None:
        """PUT /meetings/{meetingId}/registrants/status: `cancel` a child taken off the call (their
        address stops working), `approve` one put back. At most 30 registrants a request."""
        for start in range(0, len(registrants), 30):
            chunk = [{"id": rid, "email": email} for rid, email in registrants[start : start + 30]]
            self._call("PUT", f"/meetings/{external_id}/registrants/status", json={"action": action, "registrants": chunk})

    # --- who is in the meeting now (CALL-3) -----------------------------------------------------

    def staff_in_meeting(self, external_id: str, staff: list, host: str = "") -> MeetingInfo | None:
        """CALL-3: the members of staff in the meeting now, as MODERATOR attendees, or None when
        this account cannot tell. `staff`: [{person: "staff-3", email, name}] (platforms.presence).

        A meeting Zoom does not show as started has nobody in it. Otherwise the Dashboard API's live
        participants: signed-in members of the school's account carry their email address (a guest's
        is hidden), so a child cannot count as staff by typing a teacher's name; someone still in the
        waiting room, or who has left (leave_time), does not count."""
        meeting = self._call("GET", f"/meetings/{external_id}", missing_ok=True)
        if meeting is None or meeting.get("status") != "started":
            return MeetingInfo(running=False, external_id=str(external_id))
        wanted = {member["email"].casefold(): member["person"] for member in staff if member.get("email")}
        people, page_token = [], ""
        while True:
            params = {"type": "live", "page_size": 300}
            if page_token:
                params["next_page_token"] = page_token
            path = f"/metrics/meetings/{external_id}/participants"
            body = self._call("GET", path, params=params, refused=CANNOT_TELL_STATUSES)
            if body is REFUSED:
                return None  # no Business plan or no dashboard scope: the host's checklist decides
            people.extend(body.get("participants", []))
            page_token = body.get("next_page_token") or ""
            if not page_token:
                break
        attendees = [
            Attendee(user_id=wanted[p["email"].casefold()], full_name=p.get("user_name", ""), role=MODERATOR, has_video=False)
            for p in people
            if p.get("email", "").casefold() in wanted and _still_in(p)
        ]
        return MeetingInfo(running=True, attendees=attendees, external_id=str(external_id))

    def attendance(self, external_id: str, host: str = "") -> MeetingInfo | None:
        """LOG-1: who was in the last instance of the meeting, from past_meetings/{id}/participants."""
        people, page_token = [], ""
        while True:
            # registrant_id is returned only when asked for (include_fields), per the API reference.
            params = {"page_size": 300, "include_fields": "registrant_id"}
            if page_token:
                params["next_page_token"] = page_token
            body = self._call("GET", f"/past_meetings/{external_id}/participants", params=params, missing_ok=True)
            if body is None:
                return None  # not held yet
            people.extend(body.get("participants", []))
            page_token = body.get("next_page_token") or ""
            if not page_token:
                break
        joins = [_time(p.get("join_time")) for p in people if p.get("join_time")]
        leaves = [_time(p.get("leave_time")) for p in people if p.get("leave_time")]
        attendees = [
            Attendee(
                user_id=_attendee_id(p),
                full_name=p.get("name", ""),
                role="PARTICIPANT",
                has_video=False,
            )
            for p in people
        ]
        return MeetingInfo(
            running=False,
            attendees=attendees,
            start_time=min(joins, default=None),
            end_time=max(leaves, default=None),
            meeting_id=str(external_id),
            external_id=str(external_id),
        )


def _still_in(person: dict) -> bool:
    """In the meeting itself now: not in the waiting room, and no leave_time (a rejoin is a new row)."""
    return not person.get("leave_time") and person.get("status", "in_meeting") == "in_meeting"


def _attendee_id(person: dict) -> str:
    """A registrant's id when Zoom gives one (platforms.registrants turns it into the child), else Zoom's own."""
    if person.get("registrant_id"):
        return f"{REGISTRANT_PREFIX}{person['registrant_id']}"
    return f"zoom-{person.get('id') or person.get('user_id') or person.get('name')}"


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _info(body: dict) -> MeetingInfo:
    return MeetingInfo(
        running=body.get("status") == "started",
        name=body.get("topic", ""),
        external_id=str(body.get("id", "")),
        join_url=body.get("join_url", ""),
        duration_minutes=int(body.get("duration") or 0),
        start_time=_time(body["start_time"]) if body.get("start_time") else None,
    )


def _reason(response) -> str:
    """Zoom's error body is {"code": 124, "message": "..."}: the message is safe for staff."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("message", ""))[:200] if isinstance(body, dict) else ""
