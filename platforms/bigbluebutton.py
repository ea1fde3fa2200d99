"""BigBlueButton: the platform applies the policy itself (CALL-6), through its API.

API reference: https://docs.bigbluebutton.org/development/api
Every call is GET <api>/<call>?<query>&checksum=<hex digest of call + query + shared secret>.
The server re-encodes the query it received before hashing (Apache URLEncodedUtils: letters,
digits and -_.* stay, space becomes +, everything else %XX), so we encode the same way and
the checksum survives the round trip. Needs BigBlueButton 2.7 or later (role= on join,
disabledFeatures names, no passwords on create).
"""

import datetime as dt
import hashlib
import logging
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET  # noqa: S405 (see _parse: the school's own server, entities refused)

from django.conf import settings
from django.utils import timezone

from . import policy
from .base import BIGBLUEBUTTON, MANUAL_LINK_KEY, Attendee, Drift, MeetingInfo, MeetingSpec, Participant, PlatformError
from .tokens import end_callback_url

logger = logging.getLogger(__name__)

DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
# Metadata keys the portal sets on every meeting; BigBlueButton reports them back lower-cased.
META_PORTAL = "egps-portal"
META_POLICY = "egps-policy"
END_TOLERANCE_SECONDS = 120


def encode(value: str) -> str:
    """One query-string component, encoded exactly as the server re-encodes it before checking."""
    return urllib.parse.quote_plus(str(value), safe="*").replace("~", "%7E")


def query_string(params: dict) -> str:
    return "&".join(f"{encode(name)}={encode(value)}" for name, value in params.items())


def checksum(call: str, query: str, secret: str, algorithm: str = "sha1") -> str:
    """The API security model: hex digest of call name + query string + shared secret."""
    return DIGESTS[algorithm]((call + query + secret).encode("utf-8")).hexdigest()


def signed_query(call: str, params: dict, secret: str, algorithm: str) -> str:
    query = query_string(params)
    signature = checksum(call, query, secret, algorithm)
    return f"{query}&checksum={signature}" if query else f"checksum={signature}"


def _text(element, tag: str, default: str = "") -> str:
    found = element.find(tag)
    return default if found is None or found.text is None else found.text.strip()


def _when(milliseconds: str) -> dt.datetime | None:
    """BigBlueButton times are milliseconds since the epoch; 0 means 'not yet'."""
    value = int(milliseconds or 0)
    return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC) if value else None


def _parse(body: bytes):
    # Responses come only from the server the school configured; still, refuse any DTD so no
    # entity expansion can happen (defusedxml is not a dependency of this project).
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise PlatformError("The BigBlueButton server sent an unexpected response.")
    try:
        return ET.fromstring(body)  # noqa: S314  # nosec B314
    except ET.ParseError as error:
        raise PlatformError("The BigBlueButton server sent an unreadable response.") from error


def parse_meeting(element) -> MeetingInfo:
    """A <response> of getMeetingInfo (or a <meeting> of getMeetings) as a MeetingInfo."""
    attendees = [
        Attendee(
            user_id=_text(node, "userID"),
            full_name=_text(node, "fullName"),
            role=_text(node, "role").upper(),
            has_video=_text(node, "hasVideo") == "true",
        )
        for node in element.iterfind("attendees/attendee")
    ]
    metadata_node = element.find("metadata")
    metadata = {} if metadata_node is None else {child.tag.lower(): (child.text or "").strip() for child in metadata_node}
    return MeetingInfo(
        running=_text(element, "running") == "true",
        create_time=int(_text(element, "createTime", "0")) or None,
        moderator_count=int(_text(element, "moderatorCount", "0")),
        attendees=attendees,
        start_time=_when(_text(element, "startTime", "0")),
        end_time=_when(_text(element, "endTime", "0")),
        meeting_id=_text(element, "meetingID"),
        name=_text(element, "meetingName"),
        recording=_text(element, "recording") == "true",
        duration_minutes=int(_text(element, "duration", "0")),
        metadata=metadata,
    )


def normalise_api_url(url: str) -> str:
    """Accept what `bbb-conf --secret` prints (…/bigbluebutton/) as well as the API address itself."""
    url = url.strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise PlatformError("The BigBlueButton address must start with https:// (or http:// for testing).")
    return url if url.endswith("/api") else f"{url}/api"


class BigBlueButtonAdapter:
    key = BIGBLUEBUTTON
    applies_settings = True

    def __init__(
        self,
        *,
        api_url: str,
        secret: str,
        algorithm: str = "sha256",
        webcams_only_for_moderator: bool = True,
        portal_id: str = "",
        timeout: float = 10.0,
    ):
        if algorithm not in DIGESTS:
            raise PlatformError(f"Unknown checksum algorithm {algorithm!r}.")
        self.api_url = normalise_api_url(api_url)
        self.secret = secret
        self.algorithm = algorithm
        self.webcams_only_for_moderator = webcams_only_for_moderator
        self.portal_id = portal_id
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> "BigBlueButtonAdapter":
        return cls(
            api_url=settings.PORTAL_BBB_URL,
            secret=settings.PORTAL_BBB_SECRET,
            algorithm=settings.PORTAL_BBB_CHECKSUM,
            webcams_only_for_moderator=settings.PORTAL_BBB_WEBCAMS_ONLY_FOR_MODERATOR,
            portal_id=settings.PORTAL_BASE_URL,
        )

    # --- the wire -------------------------------------------------------------------------

    def url(self, call: str, params: dict) -> str:
        return f"{self.api_url}/{call}?{signed_query(call, params, self.secret, self.algorithm)}"

    def _call(self, call: str, params: dict, *, missing_ok: bool = False):
        """GET one API call; the <response> element, or None if missing_ok and the meeting is unknown."""
        request = urllib.request.Request(self.url(call, params), headers={"Accept": "application/xml"})  # noqa: S310
        try:
            # The scheme was checked in normalise_api_url: only http(s) reaches urlopen.
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  # nosec B310
                body = response.read(MAX_RESPONSE_BYTES)
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            # Never log the URL: a join or API URL is a bearer credential.
            logger.warning("BigBlueButton %s could not be reached: %s", call, type(error).__name__)
            raise PlatformError("The BigBlueButton server could not be reached. Please try again shortly.") from error
        root = _parse(body)
        if _text(root, "returncode") == "SUCCESS":
            return root
        key = _text(root, "messageKey")
        if missing_ok and key in ("notFound", "invalidMeetingIdentifier"):
            return None
        logger.warning("BigBlueButton %s refused: %s", call, key)
        raise PlatformError(f"BigBlueButton refused the request ({key or 'no reason given'}).")

    # --- what the policy sends --------------------------------------------------------------

    def _webcams_only_for_moderator(self, spec: MeetingSpec) -> bool:
        chosen = spec.webcams_only_for_moderator
        return self.webcams_only_for_moderator if chosen is None else chosen

    def policy_settings(self, spec: MeetingSpec) -> dict[str, str]:
        return policy.meeting_policy_settings(
            record=spec.record, webcams_only_for_moderator=self._webcams_only_for_moderator(spec)
        )

    def metadata(self, spec: MeetingSpec) -> dict[str, str]:
        """Every meta_ value sent on create: the calls app's keys, the portal, the policy fingerprint.

        Never a secret: BigBlueButton hands metadata to the meeting's clients and writes it into
        recordings (the end callback travels in meetingEndedURL instead, create_params)."""
        fingerprint = hashlib.sha256(query_string(dict(sorted(self.policy_settings(spec).items()))).encode()).hexdigest()
        return {
            **{str(key): str(value) for key, value in spec.metadata.items() if key != MANUAL_LINK_KEY},
            META_PORTAL: self.portal_id,
            META_POLICY: fingerprint[:16],
        }

    def create_params(self, spec: MeetingSpec, *, now: dt.datetime) -> dict[str, str]:
        params = {"name": spec.name, "meetingID": spec.meeting_id, **self.policy_settings(spec)}
        params["duration"] = str(policy.meeting_duration_minutes(ends_at=spec.ends_at, now=now))
        if spec.welcome:
            params["welcome"] = spec.welcome
        # Server to server only: bbb-web calls it when the meeting ends (LOG-1), no client sees it.
        params["meetingEndedURL"] = spec.end_callback_url or end_callback_url(spec.meeting_id, ends_at=spec.ends_at)
        params.update({f"meta_{key}": value for key, value in self.metadata(spec).items()})
        return params

    # --- the adapter contract --------------------------------------------------------------

    def create_meeting(self, spec: MeetingSpec, *, now: dt.datetime | None = None) -> MeetingInfo:
        """Create the meeting, or find the one already created (create is idempotent on BigBlueButton:
        a second call returns the first meeting unchanged, which is why drift() reads it back)."""
        root = self._call("create", self.create_params(spec, now=now or timezone.now()))
        return MeetingInfo(
            running=False,
            create_time=int(_text(root, "createTime", "0")) or None,
            meeting_id=_text(root, "meetingID"),
            duration_minutes=int(_text(root, "duration", "0")),
        )

    def join_url(self, spec: MeetingSpec, participant: Participant, create_time: int | None) -> str:
        """CALL-6: a link for one person, under their real name, valid only for this instance of the meeting.
        The name is inside the signed query: editing it breaks the checksum, so it cannot be changed."""
        if not participant.full_name.strip():
            raise PlatformError("A participant must join under their real name.")
        params = {"fullName": participant.full_name.strip(), "meetingID": spec.meeting_id}
        params.update(policy.join_policy_settings(is_staff=participant.is_staff))
        params["userID"] = participant.user_id
        if create_time is not None:
            params["createTime"] = str(create_time)
        return self.url("join", params)

    def meeting_info(self, meeting_id: str) -> MeetingInfo | None:
        root = self._call("getMeetingInfo", {"meetingID": meeting_id}, missing_ok=True)
        return None if root is None else parse_meeting(root)

    def running_meetings(self) -> list[MeetingInfo]:
        """This portal's meetings on the server (a server may host several schools: metadata tells them apart)."""
        root = self._call("getMeetings", {})
        meetings = [parse_meeting(node) for node in root.iterfind("meetings/meeting")]
        return [info for info in meetings if info.metadata.get(META_PORTAL) == self.portal_id]

    def end_meeting(self, meeting_id: str) -> None:
        self._call("end", {"meetingID": meeting_id}, missing_ok=True)

    def drift(self, spec: MeetingSpec) -> list[Drift]:
        """Read the meeting back and list what differs from the policy (empty when not created yet)."""
        info = self.meeting_info(spec.meeting_id)
        if info is None:
            return []
        return drift_between(spec=spec, info=info, expected_metadata=self.metadata(spec))


def drift_between(*, spec: MeetingSpec, info: MeetingInfo, expected_metadata: dict) -> list[Drift]:
    """What getMeetingInfo can show: name, recording, the time limit and the metadata we sent
    (including the fingerprint of every policy setting, so a meeting created with other settings shows)."""
    drifts = []
    if info.recording != spec.record:
        drifts.append(Drift("Recording", "on" if spec.record else "off", "on" if info.recording else "off"))
    if info.name and info.name != spec.name:
        drifts.append(Drift("Meeting name", spec.name, info.name))
    drifts.extend(_duration_drift(spec, info))
    for key, expected in expected_metadata.items():
        actual = info.metadata.get(key.lower(), "")
        if actual != expected:
            label = "Policy settings" if key == META_POLICY else f"Metadata {key}"
            drifts.append(Drift(label, expected, actual or "missing"))
    return drifts


def _duration_drift(spec: MeetingSpec, info: MeetingInfo) -> list[Drift]:
    expected = spec.ends_at.astimezone(dt.UTC).strftime("%H:%M UTC")
    if not info.duration_minutes or not info.create_time:
        return [Drift("Ends at the booked end", expected, "no time limit")]
    ends = _when(str(info.create_time)) + dt.timedelta(minutes=info.duration_minutes)
    # Whole minutes counted from the server's createTime: a minute of rounding plus a minute of clock
    # difference between portal and server is not drift (a false alarm would keep children out).
    if abs((ends - spec.ends_at.astimezone(dt.UTC)).total_seconds()) > END_TOLERANCE_SECONDS:
        return [Drift("Ends at the booked end", expected, ends.strftime("%H:%M UTC"))]
    return []
