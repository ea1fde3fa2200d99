"""A fake Zoom, over real HTTP, shaped after Zoom's published API reference
(https://developers.zoom.us/docs/api/meetings/ and .../internal-apps/s2s-oauth/):

- POST /oauth/token?grant_type=account_credentials&account_id=…, HTTP Basic client_id:client_secret
  -> {access_token, token_type: "bearer", expires_in, scope}; 400 {reason, error} otherwise;
- /v2 with `Authorization: Bearer`; 401 {"code": 124, "message": "Invalid access token."};
- POST /v2/users/{userId}/meetings (201), GET /v2/meetings/{meetingId}, GET /v2/users/{userId}/meetings
  (type, page_size, next_page_token), GET /v2/users/{userId}/settings (in_meeting),
  PUT /v2/meetings/{meetingId}/status (204), GET /v2/past_meetings/{meetingId}/participants;
- request bodies checked against the documented fields: an unknown or misspelt field, or a
  wrong type, is 400 {"code": 300, "message": "..."} as Zoom answers validation failures;
- POST /v2/meetings/{meetingId}/registrants (201 {id, join_url, registrant_id, start_time, topic,
  occurrences}; the body checked against meetingRegistrantCreate's fields, `email` and `first_name`
  required; an address already registered for the meeting answers with that same registrant);
  PUT /v2/meetings/{meetingId}/registrants/status (204; action approve|cancel|deny, at most 30
  registrants {id, email}); a cancelled or denied registrant's join_url no longer admits anyone;
- GET /v2/past_meetings/{meetingId}/participants gives `registrant_id` only with
  `include_fields=registrant_id`, as the reference says;
- GET /v2/metrics/meetings/{meetingId}/participants?type=live (Dashboard API, Business plan):
  400 {"code": 200, "message": "No permission."} when the account has no dashboard; 404 3001 when
  the meeting is not live; live rows carry `email` only for members of the host's account;
- 404 {"code": 1001, "message": "User does not exist: …"}, {"code": 3001, "message": "Meeting does not exist: …"};
- throttling: queued failures answer 429 {"code": 429, "message": "You have exceeded the daily rate
  limit…"} with Retry-After, or 5xx; `lose_next_create` makes a meeting and then answers 502,
  as a response lost on the way back.
"""

import base64
import datetime as dt
import json
import secrets
import threading

from werkzeug.wrappers import Request, Response

from tests.platforms.fake_http import Served

ACCOUNT = "acct-egps-test"
CLIENT_ID = "zoom-client-id"
CLIENT_SECRET = "zoom-client-secret-0123"  # noqa: S105 (a test credential)

# meetingCreate request body, from the API reference (top level and `settings`).
CREATE_FIELDS = {
    "agenda": str,
    "default_password": bool,
    "duration": int,
    "password": str,
    "pre_schedule": bool,
    "recurrence": dict,
    "schedule_for": str,
    "settings": dict,
    "start_time": str,
    "template_id": str,
    "timezone": str,
    "topic": str,
    "tracking_fields": list,
    "type": int,
}
SETTINGS_FIELDS = {
    "additional_data_center_regions": list,
    "allow_multiple_devices": bool,
    "alternative_hosts": str,
    "alternative_hosts_email_notification": bool,
    "approval_type": int,
    "approved_or_denied_countries_or_regions": dict,
    "audio": str,
    "audio_conference_info": str,
    "authentication_domains": str,
    "authentication_exception": list,
    "authentication_option": str,
    "auto_recording": str,
    "auto_start_meeting_summary": bool,
    "breakout_room": dict,
    "calendar_type": int,
    "close_registration": bool,
    "cn_meeting": bool,
    "contact_email": str,
    "contact_name": str,
    "continuous_meeting_chat": dict,
    "email_notification": bool,
    "encryption_type": str,
    "focus_mode": bool,
    "global_dial_in_countries": list,
    "host_save_video_order": bool,
    "host_video": bool,
    "in_meeting": bool,
    "internal_meeting": bool,
    "jbh_time": int,
    "join_before_host": bool,
    "language_interpretation": dict,
    "meeting_authentication": bool,
    "meeting_invitees": list,
    "mute_upon_entry": bool,
    "participant_focused_meeting": bool,
    "participant_video": bool,
    "private_meeting": bool,
    "push_change_to_calendar": bool,
    "registrants_confirmation_email": bool,
    "registrants_email_notification": bool,
    "registration_type": int,
    "resources": list,
    "show_share_button": bool,
    "use_pmi": bool,
    "waiting_room": bool,
    "watermark": bool,
}
ENUMS = {"auto_recording": {"local", "cloud", "none"}, "approval_type": {0, 1, 2}, "registration_type": {1, 2, 3}}
# meetingRegistrantCreate request body (MeetingsAddRegistrantRequest), from the API reference.
REGISTRANT_FIELDS = {
    "first_name": str,
    "last_name": str,
    "email": str,
    "address": str,
    "city": str,
    "state": str,
    "zip": str,
    "country": str,
    "phone": str,
    "comments": str,
    "custom_questions": list,
    "industry": str,
    "job_title": str,
    "no_of_employees": str,
    "org": str,
    "purchasing_time_frame": str,
    "role_in_purchase_process": str,
    "language": str,
    "auto_approve": bool,
}
REGISTRANT_REQUIRED = ("email", "first_name")
REGISTRANT_ACTIONS = {"approve": "approved", "cancel": "cancelled", "deny": "denied"}


def _json(body, status=200, headers=None):
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def _error(code, message, status):
    return _json({"code": code, "message": message}, status)


class FakeZoom:
    def __init__(self):
        self.users = {
            "teacher@example.test": {
                "id": "u-host-1",
                "in_meeting": {
                    "private_chat": False,
                    "file_transfer": False,
                    "who_can_share_screen": "host",
                    "chat": True,
                    "screen_sharing": True,
                    "waiting_room": True,
                },
            }
        }
        self.meetings = {}  # id -> meeting object as GET /meetings/{id} returns it
        self.participants = {}  # id -> [participant]
        self.registrants = {}  # meeting id -> {email (lower case): registrant}
        self.live = {}  # meeting id -> [live participant rows] (Dashboard API)
        self.dashboard = True  # False: an account below Business (no Dashboard API)
        self.requests = []  # (method, path, json body or None)
        self.failures = []  # queued (status, headers) answered before the next API request
        self.failures_for = []  # queued (path ending, status, headers): the next request to that path fails
        self.lose_next_create = False
        self.tokens = set()
        self.token_requests = 0
        self._next_id = 85746065400
        self._lock = threading.Lock()
        self._served = None

    # --- test helpers -----------------------------------------------------------------------

    def start(self):
        self._served = Served(self).start()
        return self

    def stop(self):
        self._served.stop()

    @property
    def base(self):
        return self._served.base

    def creates(self):
        return [body for method, path, body in self.requests if method == "POST" and path.endswith("/meetings")]

    def throttle(self, retry_after="1"):
        self.failures.append((429, {"Retry-After": retry_after}))

    def registrant_posts(self):
        return [body for method, path, body in self.requests if method == "POST" and path.endswith("/registrants")]

    def registrant_by_url(self, meeting_id, join_url):
        return next((r for r in self.registrants.get(meeting_id, {}).values() if r["join_url"] == join_url), None)

    def start_meeting(self, meeting_id, people):
        """The host started the meeting; `people` are its live rows (user_name, email, status, leave_time)."""
        self.meetings[meeting_id]["status"] = "started"
        self.live[meeting_id] = [
            {"id": f"live-{i}", "user_id": str(16778240 + i), "join_time": "2026-11-10T09:58:00Z", "leave_time": "", **p}
            for i, p in enumerate(people)
        ]

    # --- the server -------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request):
        if request.path == "/oauth/token":
            return self.token(request)
        if not request.path.startswith("/v2/"):
            return _error(404, "Not found", 404)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return _error(124, "Invalid access token.", 401)
        body = None
        if request.method in ("POST", "PATCH", "PUT"):
            try:
                body = json.loads(request.get_data() or b"null")
            except ValueError:
                return _error(300, "Request Body should be a valid JSON object.", 400)
        self.requests.append((request.method, request.path, body))
        aimed = next((f for f in self.failures_for if request.path.endswith(f[0])), None)
        if aimed:
            self.failures_for.remove(aimed)
        if self.failures or aimed:
            status, headers = aimed[1:] if aimed else self.failures.pop(0)
            if status == 429:
                return _json(
                    {"code": 429, "message": "You have exceeded the daily rate limit of (100) for Create meeting API requests."},
                    429,
                    headers,
                )
            return _error(status, "Internal Error", status)
        parts = request.path[len("/v2/") :].strip("/").split("/")
        return self.route(request, parts, body)

    def token(self, request):
        self.token_requests += 1
        if request.method != "POST" or request.args.get("grant_type") != "account_credentials":
            return _json({"reason": "Unsupported grant type", "error": "unsupported_grant_type"}, 400)
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}" or request.args.get("account_id") != ACCOUNT:
            return _json({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, 400)
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return _json(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": 3599,
                "scope": "meeting:write:meeting:admin meeting:read:meeting:admin",
            }
        )

    def route(self, request, parts, body):
        method = request.method
        if parts[0] == "users" and len(parts) == 3 and parts[2] == "meetings":
            user = self.users.get(parts[1])
            if user is None:
                return _error(1001, f"User does not exist: {parts[1]}.", 404)
            if method == "POST":
                return self.create(parts[1], user, body)
            return self.list_meetings(parts[1], request)
        if parts[0] == "users" and len(parts) == 3 and parts[2] == "settings" and method == "GET":
            user = self.users.get(parts[1])
            if user is None:
                return _error(1001, f"User does not exist: {parts[1]}.", 404)
            return _json({"in_meeting": dict(user["in_meeting"]), "schedule_meeting": {}, "recording": {}})
        if parts[0] == "meetings" and len(parts) >= 2:
            meeting = self.meetings.get(parts[1])
            if meeting is None:
                return _error(3001, f"Meeting does not exist: {parts[1]}.", 404)
            if len(parts) == 2 and method == "GET":
                return _json(meeting)
            if len(parts) == 2 and method == "PATCH":
                problem = self.validate({**body, "type": meeting["type"]})
                if problem:
                    return _error(300, problem, 400)
                settings = body.pop("settings", {})
                meeting.update(body)
                meeting["settings"].update(settings)
                return Response(status=204)
            if len(parts) == 2 and method == "DELETE":
                del self.meetings[parts[1]]
                return Response(status=204)
            if len(parts) == 3 and parts[2] == "registrants" and method == "POST":
                return self.register(parts[1], meeting, body)
            if len(parts) == 4 and parts[2:] == ["registrants", "status"] and method == "PUT":
                return self.registrant_status(parts[1], body)
            if len(parts) == 3 and parts[2] == "status" and method == "PUT":
                if body != {"action": "end"} and body != {"action": "recover"}:
                    return _error(300, "Invalid action.", 400)
                meeting["status"] = "finished"
                return Response(status=204)
        if parts[0] == "past_meetings" and len(parts) == 3 and parts[2] == "participants" and method == "GET":
            if parts[1] not in self.participants:
                return _error(3001, f"Meeting does not exist: {parts[1]}.", 404)
            people = self.participants[parts[1]]
            if request.args.get("include_fields") != "registrant_id":
                people = [{k: v for k, v in p.items() if k != "registrant_id"} for p in people]
            return _json(
                {"page_count": 1, "page_size": 300, "total_records": len(people), "next_page_token": "", "participants": people}
            )
        if parts[0] == "metrics" and parts[1:2] == ["meetings"] and parts[3:] == ["participants"] and method == "GET":
            return self.live_participants(parts[2], request)
        return _error(404, "Not found", 404)

    def register(self, meeting_id, meeting, body):
        if not isinstance(body, dict):
            return _error(300, "Request Body should be a valid JSON object.", 400)
        for name, value in body.items():
            if name not in REGISTRANT_FIELDS:
                return _error(300, f"Invalid field: {name}.", 400)
            if not isinstance(value, REGISTRANT_FIELDS[name]):
                return _error(300, f"Invalid value for {name}.", 400)
        for name in REGISTRANT_REQUIRED:
            if not body.get(name):
                return _error(300, f"Validation Failed: {name} is required.", 400)
        if meeting["settings"].get("approval_type") == 2:
            return _error(3000, "Cannot access meeting info.", 400)  # registration is not on
        known = self.registrants.setdefault(meeting_id, {})
        key = body["email"].lower()
        if key not in known:  # an address already registered answers with its registrant
            token = secrets.token_urlsafe(12)
            known[key] = {
                "id": secrets.token_urlsafe(16),
                "email": body["email"],
                "first_name": body["first_name"],
                "last_name": body.get("last_name", ""),
                "status": "approved",
                "join_url": f"https://zoom.us/w/{meeting_id}?tk={token}&pwd={meeting['password']}",
            }
        registrant = known[key]
        answer = {
            "id": int(meeting_id),
            "join_url": registrant["join_url"],
            "registrant_id": registrant["id"],
            "start_time": meeting["start_time"],
            "topic": meeting["topic"],
            "occurrences": [],
        }
        return _json(answer, 201)

    def registrant_status(self, meeting_id, body):
        if not isinstance(body, dict) or body.get("action") not in REGISTRANT_ACTIONS:
            return _error(300, "Invalid action.", 400)
        unknown = set(body) - {"action", "registrants"}
        if unknown:
            return _error(300, f"Invalid field: {sorted(unknown)[0]}.", 400)
        items = body.get("registrants", [])
        if len(items) > 30:
            return _error(300, "You can only update up to 30 registrants at a time.", 400)
        known = {r["id"]: r for r in self.registrants.get(meeting_id, {}).values()}
        for item in items:
            if set(item) - {"id", "email"} or item.get("id") not in known:
                return _error(300, f"Invalid registrant: {item.get('id')}.", 400)
        for item in items:
            known[item["id"]]["status"] = REGISTRANT_ACTIONS[body["action"]]
        return Response(status=204)

    def live_participants(self, meeting_id, request):
        if not self.dashboard:
            return _error(200, "No permission.", 400)
        if request.args.get("type") != "live":
            return _error(300, "Invalid type.", 400)
        if meeting_id not in self.live:
            return _error(3001, f"Meeting {meeting_id} not found or has expired.", 404)
        people = self.live[meeting_id]
        return _json(
            {"page_count": 1, "page_size": 300, "total_records": len(people), "next_page_token": "", "participants": people}
        )

    def create(self, email, user, body):
        problem = self.validate(body)
        if problem:
            return _error(300, problem, 400)
        self._next_id += 1
        meeting_id = str(self._next_id)
        settings = {
            "host_video": False,
            "participant_video": True,
            "join_before_host": False,
            "mute_upon_entry": False,
            "approval_type": 2,
            "auto_recording": "none",
            "waiting_room": False,
            "meeting_authentication": False,
            "private_meeting": False,
            **body.get("settings", {}),
        }
        self.meetings[meeting_id] = {
            "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
            "id": int(meeting_id),
            "host_id": user["id"],
            "host_email": email,
            "topic": body.get("topic", "Zoom meeting"),
            "type": body.get("type", 2),
            "status": "waiting",
            "start_time": body.get("start_time"),
            "duration": body.get("duration", 60),
            "timezone": body.get("timezone", "UTC"),
            "agenda": body.get("agenda", ""),
            "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start_url": f"https://zoom.us/s/{meeting_id}?zak=secret-host-key",
            "join_url": f"https://zoom.us/j/{meeting_id}?pwd={secrets.token_urlsafe(12)}",
            "password": secrets.token_hex(4),
            "pre_schedule": False,
            "settings": settings,
        }
        if self.lose_next_create:
            self.lose_next_create = False
            return _error(502, "Bad gateway", 502)
        return _json(self.meetings[meeting_id], 201)

    def validate(self, body):
        if not isinstance(body, dict):
            return "Request Body should be a valid JSON object."
        for group, allowed in ((body, CREATE_FIELDS), (body.get("settings", {}), SETTINGS_FIELDS)):
            for name, value in group.items():
                if name not in allowed:
                    return f"Invalid field: {name}."
                if not isinstance(value, allowed[name]) or (allowed[name] is int and isinstance(value, bool)):
                    return f"Invalid value for {name}."
                if name in ENUMS and value not in ENUMS[name]:
                    return f"Invalid value for {name}: {value}."
        if body.get("type") == 2 and not body.get("start_time"):
            return "start_time is required for a scheduled meeting."
        return None

    def list_meetings(self, email, request):
        mine = [m for m in self.meetings.values() if m["host_email"] == email and m["status"] != "finished"]
        return _json(
            {
                "page_size": 300,
                "total_records": len(mine),
                "next_page_token": "",
                "meetings": [
                    {
                        k: m[k]
                        for k in (
                            "uuid",
                            "id",
                            "host_id",
                            "topic",
                            "type",
                            "start_time",
                            "duration",
                            "timezone",
                            "created_at",
                            "join_url",
                        )
                    }
                    for m in mine
                ],
            }
        )
