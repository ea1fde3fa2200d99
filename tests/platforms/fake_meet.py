"""A fake Google Meet REST API v2 (and Google's OAuth token endpoint), over real HTTP, shaped after
the published reference (https://developers.google.com/meet/api/reference/rest/v2):

- POST /token: the service account's JWT-bearer grant; the assertion's signature is checked
  against the service account's public key, and its iss, sub (the delegated host), aud and scope;
- POST /v2/spaces (body: a Space; only `config` may be set), GET /v2/spaces/{id},
  PATCH /v2/spaces/{id}?updateMask=…, POST /v2/spaces/{id}:endActiveConference;
- GET /v2/conferenceRecords?filter=space.name = "spaces/…" (and `end_time IS NULL`: the active
  conference), GET /v2/conferenceRecords/{id}/participants (filter `latest_end_time IS NULL`: those
  still in it);
- SpaceConfig checked field by field: an unknown field is 400 INVALID_ARGUMENT ("Invalid JSON payload
  received. Unknown name …"), an enum accepted by name or, as the REST clients send with
  `$alt=json;enum-encoding=int`, by its number in the published proto;
- errors as Google sends them: {"error": {"code", "message", "status"}}; 429 RESOURCE_EXHAUSTED with
  Retry-After; 503 UNAVAILABLE; 404 NOT_FOUND; 401 UNAUTHENTICATED.
"""

import datetime as dt
import json
import secrets
import threading
from urllib.parse import parse_qs

from google.auth import jwt
from werkzeug.wrappers import Request, Response

from tests.platforms.fake_http import Served

GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
SCOPE_CREATED = "https://www.googleapis.com/auth/meetings.space.created"
# The published enums (google/apps/meet/v2/resource.proto), in proto number order.
ENUMS = {
    "accessType": ["ACCESS_TYPE_UNSPECIFIED", "OPEN", "TRUSTED", "RESTRICTED"],
    "entryPointAccess": ["ENTRY_POINT_ACCESS_UNSPECIFIED", "ALL", "CREATOR_APP_ONLY"],
    "moderation": ["MODERATION_UNSPECIFIED", "OFF", "ON"],
    "chatRestriction": ["RESTRICTION_TYPE_UNSPECIFIED", "HOSTS_ONLY", "NO_RESTRICTION"],
    "reactionRestriction": ["RESTRICTION_TYPE_UNSPECIFIED", "HOSTS_ONLY", "NO_RESTRICTION"],
    "presentRestriction": ["RESTRICTION_TYPE_UNSPECIFIED", "HOSTS_ONLY", "NO_RESTRICTION"],
    "defaultJoinAsViewerType": ["DEFAULT_JOIN_AS_VIEWER_TYPE_UNSPECIFIED", "ON", "OFF"],
    "attendanceReportGenerationType": ["ATTENDANCE_REPORT_GENERATION_TYPE_UNSPECIFIED", "GENERATE_REPORT", "DO_NOT_GENERATE"],
    "autoRecordingGeneration": ["AUTO_GENERATION_TYPE_UNSPECIFIED", "ON", "OFF"],
    "autoTranscriptionGeneration": ["AUTO_GENERATION_TYPE_UNSPECIFIED", "ON", "OFF"],
    "autoSmartNotesGeneration": ["AUTO_GENERATION_TYPE_UNSPECIFIED", "ON", "OFF"],
}
# SpaceConfig's shape: a field is an enum (None) or a nested message (a dict of its fields).
CONFIG = {
    "accessType": None,
    "entryPointAccess": None,
    "moderation": None,
    "moderationRestrictions": {
        "chatRestriction": None,
        "reactionRestriction": None,
        "presentRestriction": None,
        "defaultJoinAsViewerType": None,
    },
    "attendanceReportGenerationType": None,
    "artifactConfig": {
        "recordingConfig": {"autoRecordingGeneration": None},
        "transcriptionConfig": {"autoTranscriptionGeneration": None},
        "smartNotesConfig": {"autoSmartNotesGeneration": None},
    },
}


def _error(status, code_name, message, headers=None):
    body = {"error": {"code": status, "message": message, "status": code_name}}
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def _json(body, status=200):
    return Response(json.dumps(body), status=status, content_type="application/json")


def normalise(value, shape, path):
    """The config with enum numbers turned into names; raises ValueError naming a bad field."""
    if not isinstance(value, dict):
        raise ValueError(f"Invalid value at '{path}'.")
    out = {}
    for name, item in value.items():
        if name not in shape:
            raise ValueError(f"Invalid JSON payload received. Unknown name \"{name}\" at '{path}': Cannot find field.")
        if shape[name] is None:
            names = ENUMS[name]
            if isinstance(item, int) and not isinstance(item, bool) and 0 <= item < len(names):
                item = names[item]
            if item not in names:
                raise ValueError(f"Invalid value at '{path}.{name}' ({item!r}).")
            out[name] = item
        else:
            out[name] = normalise(item, shape[name], f"{path}.{name}")
    return out


class FakeMeet:
    def __init__(self, *, client_email, public_pem):
        self.client_email = client_email
        self.public_pem = public_pem
        self.hosts = {"teacher@example.test"}
        self.spaces = {}  # "spaces/x" -> Space
        self.records = {}  # "spaces/x" -> [(conferenceRecord, [participants])]
        self.requests = []  # (method, path, body)
        self.failures = []
        self.tokens = {}  # token -> subject
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

    def calls(self, method, path_suffix=""):
        return [body for m, p, body in self.requests if m == method and p.endswith(path_suffix)]

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            response = self.dispatch(request)
        return response(environ, start_response)

    def token(self, request):
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return _json({"error": "unsupported_grant_type"}, 400)
        try:
            # Google expects its own token address as the audience, whatever the file's token_uri says.
            claims = jwt.decode(form.get("assertion", ""), certs=self.public_pem, audience=GOOGLE_TOKEN_AUDIENCE)
        except ValueError as error:
            return _json({"error": "invalid_grant", "error_description": f"Invalid JWT Signature. {error}"}, 400)
        if claims.get("iss") != self.client_email or SCOPE_CREATED not in claims.get("scope", "").split():
            return _json({"error": "invalid_grant", "error_description": "Invalid issuer or scope."}, 400)
        if claims.get("sub") not in self.hosts:
            return _json(
                {
                    "error": "unauthorized_client",
                    "error_description": "Client is unauthorized to retrieve access tokens using this method.",
                },
                401,
            )
        token = "ya29." + secrets.token_urlsafe(24)
        self.tokens[token] = claims["sub"]
        return _json({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def dispatch(self, request):
        if request.path == "/token":
            return self.token(request)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        body = None
        if request.method in ("POST", "PATCH") and request.get_data():
            try:
                body = json.loads(request.get_data())
            except ValueError:
                return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        self.requests.append((request.method, request.path, body))
        if self.failures:
            status, headers = self.failures.pop(0)
            if status == 429:
                return _error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Write requests'.", headers)
            return _error(status, "UNAVAILABLE", "The service is currently unavailable.", headers)
        path = request.path
        if path == "/v2/spaces" and request.method == "POST":
            return self.create(body or {})
        if path.startswith("/v2/spaces/"):
            name, _, action = path[len("/v2/") :].partition(":")
            space = self.spaces.get(name)
            if space is None:
                return _error(404, "NOT_FOUND", "Requested entity was not found.")
            if action == "endActiveConference" and request.method == "POST":
                space.pop("activeConference", None)
                return _json({})
            if request.method == "GET":
                return _json(space)
            if request.method == "PATCH":
                try:
                    config = normalise((body or {}).get("config", {}), CONFIG, "space.config")
                except ValueError as error:
                    return _error(400, "INVALID_ARGUMENT", str(error))
                space["config"].update(config)
                return _json(space)
        if path == "/v2/conferenceRecords" and request.method == "GET":
            wanted = request.args.get("filter", "")
            found = [r for name, rows in self.records.items() for r, _ in rows if f'"{name}"' in wanted]
            if "end_time IS NULL" in wanted:  # EBNF filter: the active conference has no endTime
                found = [r for r in found if not r.get("endTime")]
            return _json({"conferenceRecords": found})
        if path.startswith("/v2/conferenceRecords/") and path.endswith("/participants"):
            record_name = path[len("/v2/") : -len("/participants")]
            for rows in self.records.values():
                for record, people in rows:
                    if record["name"] == record_name:
                        if "latest_end_time IS NULL" in request.args.get("filter", ""):
                            people = [p for p in people if not p.get("latestEndTime")]  # still in the meeting
                        return _json({"participants": people, "totalSize": len(people)})
            return _error(404, "NOT_FOUND", "Requested entity was not found.")
        return _error(404, "NOT_FOUND", "Not found.")

    def create(self, body):
        unknown = set(body) - {"config", "name"}
        if unknown:
            return _error(400, "INVALID_ARGUMENT", f'Invalid JSON payload received. Unknown name "{sorted(unknown)[0]}".')
        try:
            config = normalise(body.get("config", {}), CONFIG, "space.config")
        except ValueError as error:
            return _error(400, "INVALID_ARGUMENT", str(error))
        code = "-".join(secrets.token_hex(2)[:3] for _ in range(3))
        name = f"spaces/{secrets.token_urlsafe(9)}"
        defaults = {"accessType": "TRUSTED", "entryPointAccess": "ALL", "moderation": "OFF"}
        self.spaces[name] = {
            "name": name,
            "meetingUri": f"https://meet.google.com/{code}",
            "meetingCode": code,
            "config": {**defaults, **config},
        }
        return _json(self.spaces[name])

    def add_conference(self, space_name, *, start, end, people):
        record = {
            "name": f"conferenceRecords/{secrets.token_hex(6)}",
            "startTime": start,
            "endTime": end,
            "expireTime": (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "space": space_name,
        }
        if end is None:
            del record["endTime"]  # still going: an active conference has no endTime
        participants = [{**p, "name": f"{record['name']}/participants/{i}"} for i, p in enumerate(people)]
        self.records.setdefault(space_name, []).append((record, participants))
        return record
