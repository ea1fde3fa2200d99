"""A fake Microsoft Graph (and its Entra ID token endpoint), over real HTTP, shaped after the
published references:

- POST /{tenant}/oauth2/v2.0/token, form client_credentials -> {token_type, expires_in,
  ext_expires_in, access_token}; 401 {"error": "invalid_client", "error_description": "AADSTS7000215…"};
- /v1.0 with `Authorization: Bearer`; 401 {"error": {"code": "InvalidAuthenticationToken", …}};
- POST /v1.0/users/{id}/onlineMeetings/createOrGet: body only chatInfo, endDateTime, externalId,
  participants, startDateTime, subject (anything else 400 BadRequest); same externalId -> the same
  meeting (200), new -> 201;
- PATCH/GET/DELETE /v1.0/users/{id}/onlineMeetings/{meetingId}: PATCH accepts the onlineMeeting
  properties of the update reference, with their enum values; unknown property -> 400;
- GET …/{meetingId}/attendanceReports and …/attendanceReports/{reportId}/attendanceRecords;
- 403 when the user is not covered by an application access policy, 404 Request_ResourceNotFound
  for an unknown user or meeting; 429 TooManyRequests with Retry-After; 503 ServiceUnavailable.
Every error body is {"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}.
"""

import datetime as dt
import json
import secrets
import threading
import uuid
from urllib.parse import parse_qs

from werkzeug.wrappers import Request, Response

from tests.platforms.fake_http import Served

TENANT = "contoso-school-tenant"
CLIENT_ID = "teams-client-id"
CLIENT_SECRET = "teams-client-secret-0123"  # noqa: S105 (a test credential)

CREATE_OR_GET_FIELDS = {"chatInfo", "endDateTime", "externalId", "participants", "startDateTime", "subject"}
# onlineMeeting properties the update reference allows, with their types / enum values.
ENUMS = {
    "allowedPresenters": {"everyone", "organization", "roleIsPresenter", "organizer", "unknownFutureValue"},
    "allowMeetingChat": {"enabled", "disabled", "limited", "unknownFutureValue"},
    "allowedLobbyAdmitters": {"organizerAndCoOrganizersAndPresenters", "organizerAndCoOrganizers", "unknownFutureValue"},
}
BOOLEANS = {
    "allowAttendeeToEnableCamera",
    "allowAttendeeToEnableMic",
    "allowBreakoutRooms",
    "allowCopyingAndSharingMeetingContent",
    "allowParticipantsToChangeName",
    "allowPowerPointSharing",
    "allowRecording",
    "allowTeamworkReactions",
    "allowTranscription",
    "allowWhiteboard",
    "isEntryExitAnnounced",
    "recordAutomatically",
}
OTHER_UPDATABLE = {
    "startDateTime",
    "endDateTime",
    "subject",
    "participants",
    "lobbyBypassSettings",
    "chatRestrictions",
    "allowLiveShare",
    "shareMeetingChatHistoryDefault",
    "watermarkProtection",
    "@odata.type",
}
LOBBY_SCOPES = {
    "organizer",
    "organization",
    "organizationAndFederated",
    "everyone",
    "invited",
    "organizationExcludingGuests",
    "unknownFutureValue",
}


def _error(status, code, message, headers=None):
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": now, "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())},
        }
    }
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def _json(body, status=200):
    return Response(json.dumps(body), status=status, content_type="application/json")


class FakeGraph:
    def __init__(self):
        # Users by UPN; `policy` False = no application access policy covers them (403).
        self.users = {"teacher@example.test": {"id": str(uuid.uuid4()), "policy": True}}
        self.meetings = {}  # meeting id -> onlineMeeting resource
        self.reports = {}  # meeting id -> [(report, [records])]
        self.requests = []  # (method, path, json body)
        self.failures = []  # queued (status, headers)
        self.tokens = set()
        self.token_requests = 0
        self._lock = threading.Lock()

    def start(self):
        self._served = Served(self).start()
        return self

    def stop(self):
        self._served.stop()

    @property
    def base(self):
        return self._served.base

    def throttle(self, retry_after="1"):
        self.failures.append((429, {"Retry-After": retry_after}))

    def calls(self, method, suffix=""):
        return [body for m, path, body in self.requests if m == method and path.endswith(suffix)]

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request):
        if request.path == f"/{TENANT}/oauth2/v2.0/token":
            return self.token(request)
        if not request.path.startswith("/v1.0/"):
            return _error(404, "UnknownError", "Not found")
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return _error(401, "InvalidAuthenticationToken", "Access token is empty.")
        body = None
        if request.method in ("POST", "PATCH"):
            try:
                body = json.loads(request.get_data() or b"{}")
            except ValueError:
                return _error(400, "BadRequest", "Unable to read JSON request payload.")
        self.requests.append((request.method, request.path, body))
        if self.failures:
            status, headers = self.failures.pop(0)
            if status == 429:
                return _error(429, "TooManyRequests", "Too many requests.", headers)
            return _error(status, "ServiceUnavailable", "Service unavailable.", headers)
        return self.route(request, request.path[len("/v1.0/") :].strip("/").split("/"), body)

    def token(self, request):
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "https://graph.microsoft.com/.default":
            return _json({"error": "invalid_request", "error_description": "AADSTS900144: bad request."}, 400)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _json({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}, 401)
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return _json({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})

    def route(self, request, parts, body):
        if len(parts) < 3 or parts[0] != "users" or parts[2] != "onlineMeetings":
            return _error(400, "BadRequest", "Resource not found for the segment.")
        user = self.users.get(parts[1])
        if user is None:
            return _error(404, "Request_ResourceNotFound", f"Resource '{parts[1]}' does not exist.")
        if not user["policy"]:
            return _error(403, "Forbidden", "No application access policy found for this app.")
        rest = parts[3:]
        if rest == ["createOrGet"] and request.method == "POST":
            return self.create_or_get(parts[1], body)
        if not rest:
            return _error(405, "BadRequest", "Method not allowed.")
        meeting = self.meetings.get(rest[0])
        if meeting is None or meeting["_user"] != parts[1]:
            return _error(404, "NotFound", "The meeting was not found.")
        if len(rest) == 1:
            if request.method == "GET":
                return _json(self.public(meeting))
            if request.method == "PATCH":
                return self.update(meeting, body)
            if request.method == "DELETE":
                del self.meetings[rest[0]]
                return Response(status=204)
        if rest[1:] == ["attendanceReports"] and request.method == "GET":
            reports = [r for r, _ in self.reports.get(rest[0], [])]
            return _json({"@odata.context": "...", "value": reports})
        if len(rest) == 4 and rest[1] == "attendanceReports" and rest[3] == "attendanceRecords":
            for report, records in self.reports.get(rest[0], []):
                if report["id"] == rest[2]:
                    return _json({"@odata.context": "...", "value": records})
            return _error(404, "NotFound", "The report was not found.")
        return _error(400, "BadRequest", "Unsupported request.")

    @staticmethod
    def public(meeting):
        return {k: v for k, v in meeting.items() if not k.startswith("_")}

    def create_or_get(self, user, body):
        unknown = set(body) - CREATE_OR_GET_FIELDS - {"@odata.type"}
        if unknown:
            return _error(400, "BadRequest", f"Invalid property '{sorted(unknown)[0]}' for createOrGet.")
        if not body.get("externalId"):
            return _error(400, "BadRequest", "externalId is required.")
        for meeting in self.meetings.values():
            if meeting["_user"] == user and meeting["externalId"] == body["externalId"]:
                return _json(self.public(meeting), 200)
        meeting_id = "MSo" + secrets.token_urlsafe(30)
        self.meetings[meeting_id] = {
            "_user": user,
            "@odata.type": "#microsoft.graph.onlineMeeting",
            "id": meeting_id,
            "externalId": body["externalId"],
            "subject": body.get("subject"),
            "startDateTime": body.get("startDateTime"),
            "endDateTime": body.get("endDateTime"),
            "creationDateTime": dt.datetime.now(dt.UTC).isoformat(),
            "joinWebUrl": f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{secrets.token_hex(8)}%40thread.v2/0",
            "joinMeetingIdSettings": {"joinMeetingId": "1234567890", "isPasscodeRequired": False},
            # Tenant defaults (what an unpatched meeting would have).
            "allowedPresenters": "everyone",
            "allowMeetingChat": "enabled",
            "allowParticipantsToChangeName": True,
            "allowAttendeeToEnableCamera": True,
            "allowAttendeeToEnableMic": True,
            "recordAutomatically": False,
            "allowRecording": True,
            "allowTranscription": True,
            "isEntryExitAnnounced": False,
            "lobbyBypassSettings": {"scope": "organization", "isDialInBypassEnabled": False},
        }
        return _json(self.public(self.meetings[meeting_id]), 201)

    def update(self, meeting, body):
        for name, value in body.items():
            if name in BOOLEANS:
                if not isinstance(value, bool):
                    return _error(400, "BadRequest", f"Invalid value for '{name}'.")
            elif name in ENUMS:
                if value not in ENUMS[name]:
                    return _error(400, "BadRequest", f"Invalid value '{value}' for '{name}'.")
            elif name == "lobbyBypassSettings":
                extra = set(value) - {"scope", "isDialInBypassEnabled", "@odata.type"}
                if extra or value.get("scope") not in LOBBY_SCOPES:
                    return _error(400, "BadRequest", "Invalid lobbyBypassSettings.")
            elif name not in OTHER_UPDATABLE:
                return _error(400, "BadRequest", f"Invalid property '{name}' for onlineMeeting update.")
        for name, value in body.items():
            if name != "@odata.type":
                meeting[name] = value
        return _json(self.public(meeting), 200)
