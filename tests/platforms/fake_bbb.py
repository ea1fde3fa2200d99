"""A local fake BigBlueButton server: a small WSGI app on 127.0.0.1 that behaves like the real API.

It checks checksums the way bbb-web does (GetChecksum + GetChecksumValidator: drop the checksum
pair, re-encode the rest with Apache URLEncodedUtils rules, hash call + query + secret with the
algorithm the checksum's length names), records every parameter it received, keeps meetings in
memory, and answers create, join, getMeetingInfo, getMeetings, isMeetingRunning and end with the
XML shapes of https://docs.bigbluebutton.org/development/api. Tests add attendees directly.

Written independently of platforms.bigbluebutton on purpose: it must not share the code it checks.
"""

import hashlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, make_server
from xml.sax.saxutils import escape

API_PREFIX = "/bigbluebutton/api"
DIGEST_BY_LENGTH = {40: hashlib.sha1, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}


def java_form_encode(text: str) -> str:
    """What URLEncodedUtils.format does to one name or value: [A-Za-z0-9-_.*] kept, space '+', else %XX."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if byte < 128 and (char.isalnum() or char in "-_.*"):
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


@dataclass
class FakeMeeting:
    meeting_id: str
    name: str
    create_time: int
    params: dict
    metadata: dict
    attendees: list = field(default_factory=list)  # dicts: user_id, full_name, role, has_video
    waiting: list = field(default_factory=list)  # guests waiting for a moderator (ASK_MODERATOR)
    start_time: int = 0
    end_time: int = 0
    forcibly_ended: bool = False

    @property
    def running(self) -> bool:
        return bool(self.attendees) and not self.end_time


class FakeBigBlueButton:
    def __init__(self, secret: str):
        self.secret = secret
        self.meetings: dict[str, FakeMeeting] = {}
        self.ended: dict[str, FakeMeeting] = {}
        self.received: list[tuple[str, dict]] = []  # (call, params without checksum), in order
        self.rejected: list[str] = []  # calls refused for a bad checksum
        self.base_url = ""
        self._clock = itertools.count(int(time.time() * 1000))
        self._user_seq = itertools.count(1)

    # --- helpers for tests -----------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    def last(self, call: str) -> dict:
        return [params for name, params in self.received if name == call][-1]

    def calls(self) -> list[str]:
        return [name for name, _ in self.received]

    def set_time(self, when):
        """The server's clock (createTime, startTime, endTime count on from here, a millisecond a tick)."""
        self._clock = itertools.count(int(when.timestamp() * 1000))

    def add_attendee(self, meeting_id, user_id, full_name, role="VIEWER", has_video=True):
        meeting = self.meetings[meeting_id]
        meeting.attendees.append({"user_id": user_id, "full_name": full_name, "role": role, "has_video": has_video})
        meeting.start_time = meeting.start_time or next(self._clock)

    def admit(self, meeting_id, user_id):
        """A moderator lets a waiting guest in (one child at a time)."""
        meeting = self.meetings[meeting_id]
        guest = next(g for g in meeting.waiting if g["user_id"] == user_id)
        meeting.waiting.remove(guest)
        meeting.attendees.append(guest)
        meeting.start_time = meeting.start_time or next(self._clock)

    def finish(self, meeting_id):
        """The meeting ends on its own (last moderator left): still listed briefly, with its end time."""
        meeting = self.meetings[meeting_id]
        meeting.end_time = next(self._clock)

    def forget(self, meeting_id):
        """The server clears an ended meeting from memory."""
        self.ended[meeting_id] = self.meetings.pop(meeting_id)

    # --- the WSGI app ----------------------------------------------------------------------

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(API_PREFIX):
            return self._respond(start_response, "<html>Not found</html>", status="404 Not Found")
        call = path[len(API_PREFIX) :].strip("/")
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        params = {name: value for name, value in pairs if name != "checksum"}
        if not call:
            return self._xml(start_response, "<returncode>SUCCESS</returncode><version>2.0</version><apiVersion>3.0</apiVersion>")
        self.received.append((call, params))
        if not self._checksum_ok(call, pairs):
            self.rejected.append(call)
            return self._failed(start_response, "checksumError", "Checksums do not match")
        handler = getattr(self, f"_api_{call}", None)
        if handler is None:
            return self._failed(start_response, "unsupportedRequest", "This request is not supported.")
        return handler(params, start_response)

    def _checksum_ok(self, call: str, pairs: list) -> bool:
        provided = [value for name, value in pairs if name == "checksum"]
        if not provided or len(provided[0]) not in DIGEST_BY_LENGTH:
            return False
        rest = "&".join(f"{java_form_encode(n)}={java_form_encode(v)}" for n, v in pairs if n != "checksum")
        expected = DIGEST_BY_LENGTH[len(provided[0])]((call + rest + self.secret).encode("utf-8")).hexdigest()
        return expected.lower() == provided[0].lower()

    # --- API calls --------------------------------------------------------------------------

    def _api_create(self, params, start_response):
        if not params.get("meetingID"):
            return self._failed(start_response, "missingParamMeetingID", "You must specify a meeting ID for the meeting.")
        if not params.get("name"):
            return self._failed(start_response, "missingParamName", "You must specify a name for the meeting.")
        existing = self.meetings.get(params["meetingID"])
        if existing is not None and not existing.end_time:
            # bbb-web: an existing meeting is returned unchanged, whatever the new parameters say.
            return self._xml(start_response, self._create_body(existing, duplicate=True))
        metadata = {name[5:].lower(): value for name, value in params.items() if name.startswith("meta_")}
        meeting = FakeMeeting(params["meetingID"], params["name"], next(self._clock), dict(params), metadata)
        self.meetings[meeting.meeting_id] = meeting
        return self._xml(start_response, self._create_body(meeting, duplicate=False))

    def _create_body(self, meeting: FakeMeeting, *, duplicate: bool) -> str:
        body = (
            f"<returncode>SUCCESS</returncode><meetingID>{escape(meeting.meeting_id)}</meetingID>"
            f"<internalMeetingID>{self._internal_id(meeting)}</internalMeetingID><parentMeetingID>bbb-none</parentMeetingID>"
            f"<createTime>{meeting.create_time}</createTime><voiceBridge>70757</voiceBridge>"
            f"<dialNumber>613-555-1234</dialNumber><hasUserJoined>{self._b(bool(meeting.start_time))}</hasUserJoined>"
            f"<duration>{int(meeting.params.get('duration', 0))}</duration><hasBeenForciblyEnded>false</hasBeenForciblyEnded>"
        )
        if duplicate:
            body += (
                "<messageKey>duplicateWarning</messageKey>"
                "<message>This conference was already in existence and may currently be in progress.</message>"
            )
        return body

    def _api_join(self, params, start_response):
        for required in ("meetingID", "fullName"):
            if not params.get(required):
                return self._failed(start_response, f"missingParam{required}", f"You must specify {required}.")
        if params.get("role", "").upper() not in ("MODERATOR", "VIEWER"):
            return self._failed(start_response, "invalidRole", "You must specify a role.")
        meeting = self.meetings.get(params["meetingID"])
        if meeting is None or meeting.end_time:
            message = "The meeting ID that you supplied did not match any existing meetings"
            return self._failed(start_response, "invalidMeetingIdentifier", message)
        if params.get("createTime") and params["createTime"] != str(meeting.create_time):
            message = "The createTime parameter submitted mismatches with the current meeting."
            return self._failed(start_response, "mismatchCreateTimeParam", message)
        user = {
            "user_id": params.get("userID") or f"w_{next(self._user_seq)}",
            "full_name": params["fullName"],
            "role": params["role"].upper(),
            "has_video": params.get("userdata-bbb_auto_share_webcam") == "true",
        }
        asks = meeting.params.get("guestPolicy") == "ASK_MODERATOR"
        if params.get("guest") == "true" and asks:
            meeting.waiting.append(user)
        else:
            meeting.attendees.append(user)
            meeting.start_time = meeting.start_time or next(self._clock)
        token = hashlib.sha1(f"{meeting.meeting_id}{user['user_id']}".encode()).hexdigest()[:16]  # noqa: S324
        if params.get("redirect") == "false":
            return self._xml(
                start_response,
                "<returncode>SUCCESS</returncode><messageKey>successfullyJoined</messageKey>"
                f"<message>You have joined successfully.</message><session_token>{token}</session_token>",
            )
        location = f"{self.base_url}/html5client/join?sessionToken={token}"
        start_response("302 Found", [("Location", location), ("Content-Length", "0")])
        return [b""]

    def _api_getMeetingInfo(self, params, start_response):  # noqa: N802 (the API's own name)
        meeting = self.meetings.get(params.get("meetingID", ""))
        if meeting is None:
            return self._failed(start_response, "notFound", "We could not find a meeting with that meeting ID")
        return self._xml(start_response, "<returncode>SUCCESS</returncode>" + self._meeting_body(meeting))

    def _api_getMeetings(self, params, start_response):  # noqa: N802
        meetings = "".join(f"<meeting>{self._meeting_body(m)}</meeting>" for m in self.meetings.values())
        return self._xml(start_response, f"<returncode>SUCCESS</returncode><meetings>{meetings}</meetings>")

    def _api_isMeetingRunning(self, params, start_response):  # noqa: N802
        meeting = self.meetings.get(params.get("meetingID", ""))
        running = bool(meeting and meeting.running)
        return self._xml(start_response, f"<returncode>SUCCESS</returncode><running>{self._b(running)}</running>")

    def _api_end(self, params, start_response):
        meeting = self.meetings.get(params.get("meetingID", ""))
        if meeting is None:
            message = "We could not find a meeting with that meeting ID - perhaps the meeting is not yet running?"
            return self._failed(start_response, "notFound", message)
        meeting.end_time = next(self._clock)
        meeting.forcibly_ended = True
        self.forget(meeting.meeting_id)
        return self._xml(
            start_response,
            "<returncode>SUCCESS</returncode><messageKey>sentEndMeetingRequest</messageKey>"
            "<message>A request to end the meeting was sent.</message>",
        )

    # --- XML ---------------------------------------------------------------------------------

    def _meeting_body(self, meeting: FakeMeeting) -> str:
        attendees = "".join(
            "<attendee>"
            f"<userID>{escape(a['user_id'])}</userID><fullName>{escape(a['full_name'])}</fullName>"
            f"<role>{a['role']}</role><isPresenter>false</isPresenter><isListeningOnly>false</isListeningOnly>"
            f"<hasJoinedVoice>true</hasJoinedVoice><hasVideo>{self._b(a['has_video'])}</hasVideo>"
            "<clientType>HTML5</clientType><customdata></customdata></attendee>"
            for a in meeting.attendees
        )
        metadata = "".join(f"<{key}>{escape(value)}</{key}>" for key, value in meeting.metadata.items())
        moderators = sum(1 for a in meeting.attendees if a["role"] == "MODERATOR")
        videos = sum(1 for a in meeting.attendees if a["has_video"])
        return (
            f"<meetingName>{escape(meeting.name)}</meetingName><meetingID>{escape(meeting.meeting_id)}</meetingID>"
            f"<internalMeetingID>{self._internal_id(meeting)}</internalMeetingID><createTime>{meeting.create_time}</createTime>"
            "<createDate>Mon Jan 01 00:00:00 UTC 2026</createDate>"
            "<voiceBridge>70757</voiceBridge><dialNumber>613-555-1234</dialNumber>"
            f"<running>{self._b(meeting.running)}</running><duration>{int(meeting.params.get('duration', 0))}</duration>"
            f"<hasUserJoined>{self._b(bool(meeting.start_time))}</hasUserJoined>"
            f"<recording>{self._b(meeting.params.get('record') == 'true')}</recording>"
            f"<hasBeenForciblyEnded>{self._b(meeting.forcibly_ended)}</hasBeenForciblyEnded>"
            f"<startTime>{meeting.start_time}</startTime><endTime>{meeting.end_time}</endTime>"
            f"<participantCount>{len(meeting.attendees)}</participantCount><listenerCount>0</listenerCount>"
            f"<voiceParticipantCount>{len(meeting.attendees)}</voiceParticipantCount><videoCount>{videos}</videoCount>"
            f"<maxUsers>0</maxUsers><moderatorCount>{moderators}</moderatorCount>"
            f"<attendees>{attendees}</attendees><metadata>{metadata}</metadata><isBreakout>false</isBreakout>"
        )

    @staticmethod
    def _internal_id(meeting: FakeMeeting) -> str:
        return f"{hashlib.sha1(meeting.meeting_id.encode()).hexdigest()}-{meeting.create_time}"  # noqa: S324

    @staticmethod
    def _b(value: bool) -> str:
        return "true" if value else "false"

    def _failed(self, start_response, key: str, message: str):
        body = f"<returncode>FAILED</returncode><messageKey>{key}</messageKey><message>{escape(message)}</message>"
        return self._xml(start_response, body)

    @staticmethod
    def _xml(start_response, body: str):
        return FakeBigBlueButton._respond(start_response, f"<response>{body}</response>", content_type="text/xml;charset=utf-8")

    @staticmethod
    def _respond(start_response, text: str, status="200 OK", content_type="text/html"):
        data = text.encode("utf-8")
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
        return [data]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


class RunningFakeServer:
    """The fake on a free loopback port, served from a daemon thread until stop()."""

    def __init__(self, secret: str):
        self.app = FakeBigBlueButton(secret)
        self.server = make_server("127.0.0.1", 0, self.app, handler_class=_QuietHandler)
        self.app.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> FakeBigBlueButton:
        self.thread.start()
        return self.app

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
