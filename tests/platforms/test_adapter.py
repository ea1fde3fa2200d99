"""The BigBlueButton adapter against the local fake server: what is sent, what is read back."""

import dataclasses
import datetime as dt
import urllib.error
import urllib.parse
import urllib.request

import pytest

from platforms.base import MANUAL_LINK_KEY, Participant, PlatformError
from platforms.bigbluebutton import BigBlueButtonAdapter, signed_query
from platforms.tokens import meeting_id_from_token
from tests.platforms.conftest import PORTAL, SECRET


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _open(url):
    """What a browser gets from a join link: a redirect into the meeting, or the server's XML error."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        response = opener.open(url)
    except urllib.error.HTTPError as redirect:
        return redirect.code, redirect.headers.get("Location", "")
    return response.status, response.read().decode()


def _created(fake_bbb, adapter, spec, now):
    info = adapter.create_meeting(spec, now=now)
    return info, fake_bbb.last("create")


@pytest.mark.policy("CALL-6")
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("guestPolicy", "ASK_MODERATOR"),
        ("muteOnStart", "true"),
        ("lockSettingsDisablePrivateChat", "true"),
        ("lockSettingsLockOnJoin", "true"),
        ("breakoutRoomsPrivateChatEnabled", "false"),
        ("webcamsOnlyForModerator", "true"),
        ("endWhenNoModerator", "true"),
        ("record", "false"),
        ("duration", "40"),
        ("name", "Year 3 phonics"),
        ("meetingID", "egps-test-call-12"),
        ("meta_egps-call-id", "12"),
        ("meta_egps-portal", PORTAL),
    ],
)
def test_create_sends_each_policy_setting(fake_bbb, adapter, spec, start, name, value):
    _, sent = _created(fake_bbb, adapter, spec, start - dt.timedelta(minutes=10))

    assert sent[name] == value


@pytest.mark.policy("CALL-6")
def test_create_disables_private_chat_downloads_and_snapshots(fake_bbb, adapter, spec, start):
    _, sent = _created(fake_bbb, adapter, spec, start)

    disabled = sent["disabledFeatures"].split(",")
    for feature in (
        "privateChat",
        "downloadPresentationWithAnnotations",
        "downloadPresentationOriginalFile",
        "downloadPresentationConvertedToPdf",
        "snapshotOfCurrentSlide",
        "importPresentationWithAnnotationsFromBreakoutRooms",
    ):
        assert feature in disabled


@pytest.mark.policy("CALL-6")
def test_the_spec_can_override_the_schools_webcam_choice(fake_bbb, adapter, spec, start):
    _, sent = _created(fake_bbb, adapter, dataclasses.replace(spec, webcams_only_for_moderator=False), start)

    assert sent["webcamsOnlyForModerator"] == "false"


@pytest.mark.policy("CON-6")
def test_recording_is_off_unless_the_spec_says_record(fake_bbb, adapter, spec, start):
    _, without = _created(fake_bbb, adapter, spec, start)
    _, with_consent = _created(fake_bbb, adapter, dataclasses.replace(spec, meeting_id="egps-test-call-13", record=True), start)

    assert without["record"] == "false"
    assert without["allowStartStopRecording"] == "false"
    assert with_consent["record"] == "true"
    assert fake_bbb.meetings["egps-test-call-12"].params["record"] == "false"


def test_the_end_callback_points_at_the_portal_with_a_signed_token(fake_bbb, adapter, spec, start):
    _, sent = _created(fake_bbb, adapter, spec, start)

    url = urllib.parse.urlsplit(sent["meetingEndedURL"])
    token = urllib.parse.parse_qs(url.query)["token"][0]
    assert f"{url.scheme}://{url.netloc}" == PORTAL
    assert url.path == "/platforms/bbb/callback/"
    assert meeting_id_from_token(token, now=spec.ends_at) == spec.meeting_id


def test_the_manual_link_is_never_sent_to_the_platform(fake_bbb, adapter, spec, start):
    _, sent = _created(fake_bbb, adapter, dataclasses.replace(spec, metadata={"egps-call-id": "12", MANUAL_LINK_KEY: "x"}), start)

    assert f"meta_{MANUAL_LINK_KEY}" not in sent


def test_create_returns_the_create_time_and_is_idempotent(fake_bbb, adapter, spec, start):
    first = adapter.create_meeting(spec, now=start)
    second = adapter.create_meeting(spec, now=start + dt.timedelta(minutes=3))

    assert first.create_time == fake_bbb.meetings[spec.meeting_id].create_time
    assert second.create_time == first.create_time


@pytest.mark.policy("CALL-6")
def test_staff_join_as_moderators(fake_bbb, adapter, spec, start, staff_one):
    info = adapter.create_meeting(spec, now=start)

    status, _ = _open(adapter.join_url(spec, staff_one, info.create_time))

    sent = fake_bbb.last("join")
    assert status == 302
    assert sent["role"] == "MODERATOR"
    assert "guest" not in sent
    assert sent["fullName"] == "Tara Teacher"
    assert sent["userID"] == "staff-1"
    assert fake_bbb.meetings[spec.meeting_id].attendees[0]["role"] == "MODERATOR"


@pytest.mark.policy("CALL-6")
def test_a_child_joins_as_a_guest_viewer_under_their_real_name_and_waits(fake_bbb, adapter, spec, start, child):
    info = adapter.create_meeting(spec, now=start)

    status, _ = _open(adapter.join_url(spec, child, info.create_time))

    sent = fake_bbb.last("join")
    assert status == 302
    assert sent["role"] == "VIEWER"
    assert sent["guest"] == "true"
    assert sent["fullName"] == "Amelia Adams"
    assert sent["userID"] == "pupil-7"
    assert sent["createTime"] == str(info.create_time)
    assert sent["userdata-bbb_auto_share_webcam"] == "true"
    # The waiting room: a moderator admits each child (ASK_MODERATOR).
    assert [guest["user_id"] for guest in fake_bbb.meetings[spec.meeting_id].waiting] == ["pupil-7"]
    assert fake_bbb.meetings[spec.meeting_id].attendees == []


@pytest.mark.policy("CALL-6")
def test_a_childs_name_cannot_be_changed_in_the_link(fake_bbb, adapter, spec, start, child):
    info = adapter.create_meeting(spec, now=start)
    url = adapter.join_url(spec, child, info.create_time)

    status, body = _open(url.replace("fullName=Amelia+Adams", "fullName=Cool+Kid"))

    assert status == 200
    assert "checksumError" in body
    assert fake_bbb.meetings[spec.meeting_id].waiting == []


@pytest.mark.policy("CALL-6")
def test_a_participant_without_a_real_name_gets_no_link(adapter, spec, start):
    with pytest.raises(PlatformError, match="real name"):
        adapter.join_url(spec, Participant(user_id="pupil-8", full_name="  ", is_staff=False), 1)


def test_a_link_from_an_earlier_meeting_is_refused(fake_bbb, adapter, spec, start, staff_one):
    old = adapter.create_meeting(spec, now=start)
    stale_url = adapter.join_url(spec, staff_one, old.create_time)
    adapter.end_meeting(spec.meeting_id)
    adapter.create_meeting(spec, now=start)

    status, body = _open(stale_url)

    assert "mismatchCreateTimeParam" in body


def test_names_with_accents_and_apostrophes_pass_the_checksum(fake_bbb, adapter, spec, start):
    info = adapter.create_meeting(dataclasses.replace(spec, name="Zoë's ~ group * 100%"), now=start)
    person = Participant(user_id="pupil-9", full_name="Siân O'Neill-Łukasz", is_staff=False)

    status, _ = _open(adapter.join_url(spec, person, info.create_time))

    assert status == 302
    assert fake_bbb.rejected == []
    assert fake_bbb.meetings[spec.meeting_id].waiting[0]["full_name"] == "Siân O'Neill-Łukasz"


def test_meeting_info_reads_moderators_attendees_and_video(fake_bbb, adapter, spec, start):
    adapter.create_meeting(spec, now=start)
    fake_bbb.add_attendee(spec.meeting_id, "staff-1", "Tara Teacher", role="MODERATOR", has_video=True)
    fake_bbb.add_attendee(spec.meeting_id, "pupil-7", "Amelia Adams", has_video=False)

    info = adapter.meeting_info(spec.meeting_id)

    assert info.running is True
    assert info.moderator_count == 1
    assert [(a.user_id, a.full_name, a.role, a.has_video) for a in info.attendees] == [
        ("staff-1", "Tara Teacher", "MODERATOR", True),
        ("pupil-7", "Amelia Adams", "VIEWER", False),
    ]
    assert info.start_time is not None
    assert info.end_time is None
    assert info.metadata["egps-call-id"] == "12"


def test_meeting_info_of_an_unknown_meeting_is_none(fake_bbb, adapter):
    assert adapter.meeting_info("egps-nothing") is None


def test_end_meeting_ends_it(fake_bbb, adapter, spec, start):
    adapter.create_meeting(spec, now=start)

    adapter.end_meeting(spec.meeting_id)

    assert fake_bbb.calls()[-1] == "end"
    assert adapter.meeting_info(spec.meeting_id) is None
    adapter.end_meeting(spec.meeting_id)  # ending twice is harmless


def test_running_meetings_are_only_this_portals(fake_bbb, adapter, spec, start):
    adapter.create_meeting(spec, now=start)
    other = signed_query(
        "create", {"name": "Other school", "meetingID": "other-1", "meta_egps-portal": "https://elsewhere"}, SECRET, "sha1"
    )
    urllib.request.urlopen(f"{fake_bbb.api_url}/create?{other}").read()

    assert [info.meeting_id for info in adapter.running_meetings()] == [spec.meeting_id]


def test_a_wrong_secret_is_refused_with_the_servers_reason(fake_bbb, spec, start):
    wrong = BigBlueButtonAdapter(api_url=fake_bbb.api_url, secret="wrong", portal_id=PORTAL)

    with pytest.raises(PlatformError, match="checksumError"):
        wrong.create_meeting(spec, now=start)


def test_an_unreachable_server_is_a_platform_error(spec, start):
    down = BigBlueButtonAdapter(api_url="http://127.0.0.1:9/bigbluebutton/", secret=SECRET, timeout=1)

    with pytest.raises(PlatformError, match="could not be reached"):
        down.create_meeting(spec, now=start)


def test_the_address_bbb_conf_prints_is_accepted(fake_bbb):
    adapter = BigBlueButtonAdapter(api_url=f"{fake_bbb.base_url}/bigbluebutton/", secret=SECRET)

    assert adapter.api_url == fake_bbb.api_url


def test_only_web_addresses_are_accepted():
    with pytest.raises(PlatformError):
        BigBlueButtonAdapter(api_url="file:///etc/passwd", secret=SECRET)


@pytest.mark.policy("CALL-6")
def test_no_drift_after_the_portal_created_the_meeting(fake_bbb, adapter, spec, start):
    fake_bbb.set_time(start - dt.timedelta(minutes=5))
    adapter.create_meeting(spec, now=start - dt.timedelta(minutes=5))

    assert adapter.drift(spec) == []


def test_no_drift_before_the_meeting_exists(fake_bbb, adapter, spec):
    assert adapter.drift(spec) == []


@pytest.mark.policy("CALL-6")
def test_drift_flags_a_meeting_someone_created_with_other_settings(fake_bbb, adapter, spec, start):
    # Someone created the meeting first, recording and without the policy (create is idempotent,
    # so the portal's own create then returns this meeting unchanged).
    rogue = signed_query(
        "create", {"name": spec.name, "meetingID": spec.meeting_id, "record": "true", "muteOnStart": "false"}, SECRET, "sha256"
    )
    urllib.request.urlopen(f"{fake_bbb.api_url}/create?{rogue}").read()
    adapter.create_meeting(spec, now=start)

    settings = {drift.setting: drift for drift in adapter.drift(spec)}

    assert settings["Recording"].expected == "off"
    assert settings["Recording"].actual == "on"
    assert settings["Policy settings"].actual == "missing"
    assert settings["Ends at the booked end"].actual == "no time limit"


def test_drift_flags_a_meeting_that_would_end_at_another_time(fake_bbb, adapter, spec, start):
    fake_bbb.set_time(start)
    adapter.create_meeting(spec, now=start)

    later = dataclasses.replace(spec, ends_at=spec.ends_at + dt.timedelta(minutes=15))
    a_minute_off = dataclasses.replace(spec, ends_at=spec.ends_at + dt.timedelta(seconds=90))

    assert [drift.setting for drift in adapter.drift(later)] == ["Ends at the booked end"]
    assert adapter.drift(a_minute_off) == []
