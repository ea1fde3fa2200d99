"""platforms.meetings, what the calls app asks of a platform: the platform chosen by settings, links at the moment of joining."""

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from platforms.base import MANUAL_LINK_KEY, get_adapter
from platforms.bigbluebutton import BigBlueButtonAdapter
from platforms.manual import ManualAdapter
from platforms.meetings import (
    SETTINGS_NEED_CHECKING,
    applies_settings,
    drift_for,
    join_link,
    meeting_id_for_call,
    pupil_link_for_call,
    spec_for_call,
    staff_link_for_call,
)
from platforms.policy import STAFF_NOT_READY
from tests.platforms.test_adapter import _open


@pytest.fixture
def manual_spec(spec):
    return dataclasses.replace(spec, metadata={"egps-call-id": "12", MANUAL_LINK_KEY: "https://teams.example/meet/abc"})


def test_the_manual_platform_is_the_default(settings):
    assert settings.PORTAL_PLATFORM == "manual"
    assert isinstance(get_adapter(), ManualAdapter)
    assert applies_settings() is False


def test_the_manual_platform_hands_out_the_hosts_link(settings, manual_spec, child, start):
    result = join_link(spec=manual_spec, participant=child, one_to_one=True, now=start)

    assert result.url == "https://teams.example/meet/abc"
    assert result.refusal is None


def test_the_manual_platform_without_a_link_refuses_with_a_reason(settings, spec, child, start):
    result = join_link(spec=spec, participant=child, one_to_one=False, now=start)

    assert result.url is None
    assert "not added the meeting link" in result.refusal


def test_the_manual_platform_has_nothing_to_read_back(settings, spec):
    adapter = get_adapter()

    assert adapter.meeting_info(spec.meeting_id) is None
    assert adapter.running_meetings() == []
    assert adapter.drift(spec) == []
    assert adapter.end_meeting(spec.meeting_id) is None
    assert adapter.create_meeting(spec).meeting_id == spec.meeting_id


def test_switching_to_bigbluebutton_is_settings_only(bbb_settings, fake_bbb, manual_spec, child, start):
    adapter = get_adapter()

    result = join_link(spec=manual_spec, participant=child, one_to_one=False, now=start)

    assert isinstance(adapter, BigBlueButtonAdapter)
    assert applies_settings() is True
    assert result.url.startswith(f"{fake_bbb.api_url}/join?")
    assert fake_bbb.calls()[0] == "create"


@pytest.mark.parametrize(
    ("platform", "expected"),
    [("bigbluebutton", BigBlueButtonAdapter), ("teams", ManualAdapter), ("zoom", ManualAdapter), (None, BigBlueButtonAdapter)],
)
def test_a_call_on_another_platform_keeps_the_checklist(bbb_settings, platform, expected):
    assert isinstance(get_adapter(platform), expected)


def test_a_bigbluebutton_call_without_a_configured_server_is_manual(settings):
    assert isinstance(get_adapter("bigbluebutton"), ManualAdapter)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORTAL_PLATFORM": "zoom"}, "PORTAL_PLATFORM must be"),
        ({"PORTAL_PLATFORM": "bigbluebutton"}, "needs PORTAL_BBB_URL and PORTAL_BBB_SECRET"),
        ({"PORTAL_BBB_CHECKSUM": "md5"}, "PORTAL_BBB_CHECKSUM must be"),
    ],
)
def test_bad_platform_settings_fail_at_start_up(env, message):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_BBB") and k != "PORTAL_PLATFORM"}
    code = "import django; django.setup()"

    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "egps_portal.settings.test"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode != 0
    assert message in result.stderr


def test_staff_get_a_moderator_link_at_once(bbb_settings, fake_bbb, spec, staff_one, start):
    result = join_link(spec=spec, participant=staff_one, one_to_one=True, now=start)

    assert "role=MODERATOR" in result.url
    assert f"createTime={fake_bbb.meetings[spec.meeting_id].create_time}" in result.url


@pytest.mark.policy("CALL-3")
def test_a_child_is_not_admitted_to_a_one_to_one_until_two_staff_are_present(bbb_settings, fake_bbb, spec, child, start):
    fake_bbb.set_time(start)
    adapter = get_adapter()
    adapter.create_meeting(spec, now=start)
    fake_bbb.add_attendee(spec.meeting_id, "staff-1", "Tara Teacher", role="MODERATOR")

    alone = join_link(spec=spec, participant=child, one_to_one=True, now=start)
    fake_bbb.add_attendee(spec.meeting_id, "staff-1", "Tara Teacher", role="MODERATOR")  # her second device
    same_person = join_link(spec=spec, participant=child, one_to_one=True, now=start)
    fake_bbb.add_attendee(spec.meeting_id, "staff-2", "Helen Head", role="MODERATOR")
    two_adults = join_link(spec=spec, participant=child, one_to_one=True, now=start)

    assert alone.url is None
    assert alone.refusal == STAFF_NOT_READY
    assert same_person.url is None
    assert "role=VIEWER" in two_adults.url
    assert "guest=true" in two_adults.url


@pytest.mark.policy("CALL-3")
def test_a_child_joins_a_group_call_to_wait_in_the_waiting_room(bbb_settings, fake_bbb, spec, child, start):
    fake_bbb.set_time(start)

    result = join_link(spec=spec, participant=child, one_to_one=False, now=start)

    assert "role=VIEWER" in result.url


@pytest.mark.policy("CALL-6")
def test_a_child_is_kept_out_of_a_meeting_that_drifted_from_the_policy(bbb_settings, fake_bbb, spec, child, start):
    fake_bbb.set_time(start)
    get_adapter().create_meeting(dataclasses.replace(spec, record=True), now=start)

    result = join_link(spec=spec, participant=child, one_to_one=False, now=start)

    assert result.url is None
    assert result.refusal == SETTINGS_NEED_CHECKING
    assert "Recording" in [drift.setting for drift in result.drift]
    assert "Recording" in [drift.setting for drift in drift_for(spec)]


def test_an_unreachable_server_becomes_a_refusal_and_a_drift_line(bbb_settings, spec, child, start):
    bbb_settings.PORTAL_BBB_URL = "http://127.0.0.1:9/bigbluebutton/api"

    result = join_link(spec=spec, participant=child, one_to_one=False, now=start)

    assert result.url is None
    assert "could not be reached" in result.refusal
    assert [drift.setting for drift in drift_for(spec)] == ["Platform"]


def test_meeting_ids_are_unique_per_school_and_plain(settings):
    settings.PORTAL_BASE_URL = "https://one.example"
    first = meeting_id_for_call(12)
    settings.PORTAL_BASE_URL = "https://two.example"

    assert first != meeting_id_for_call(12)
    assert first.replace("-", "").isalnum()


def _call(**overrides):
    values = {
        "pk": 12,
        "title": "Year 3 phonics",
        "kind": "group",
        "platform": "bigbluebutton",
        "record": False,
        "meeting_url": "",
        "starts_at": dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC),
        "ends_at": dt.datetime(2026, 11, 30, 10, 30, tzinfo=dt.UTC),
    }
    return SimpleNamespace(**{**values, **overrides})


@pytest.mark.policy("CON-6")
@pytest.mark.parametrize(("asked", "consented", "recorded"), [(False, True, False), (True, False, False), (True, True, True)])
def test_a_call_is_recorded_only_when_asked_and_every_pupil_consented(settings, asked, consented, recorded):
    spec = spec_for_call(_call(record=asked), recording_consented_by_all=consented)

    assert spec.record is recorded


def test_the_spec_for_a_call_carries_its_id_and_the_hosts_link(settings):
    spec = spec_for_call(_call(meeting_url="https://zoom.example/j/1", platform="zoom"), recording_consented_by_all=False)

    assert spec.meeting_id == meeting_id_for_call(12)
    assert spec.metadata == {"egps-call-id": "12", MANUAL_LINK_KEY: "https://zoom.example/j/1"}


@pytest.mark.django_db
def test_pupil_and_staff_links_for_a_call(bbb_settings, fake_bbb, teacher, head, child_a, start):
    call = _call(kind="one_to_one")

    waiting = pupil_link_for_call(call, child_a, recording_consented_by_all=False, now=start)
    first = staff_link_for_call(call, teacher, recording_consented_by_all=False, now=start)
    second = staff_link_for_call(call, head, recording_consented_by_all=False, now=start)
    for link in (first, second):
        assert _open(link.url)[0] == 302  # both staff are now in the meeting
    admitted = pupil_link_for_call(call, child_a, recording_consented_by_all=False, now=start)

    assert waiting.refusal == STAFF_NOT_READY
    assert "fullName=Tara+Teacher" in first.url
    assert f"userID=staff-{teacher.pk}" in first.url
    assert "fullName=Amelia+Adams" in admitted.url
    assert f"userID=pupil-{child_a.pk}" in admitted.url


def test_a_manual_call_hands_out_the_hosts_link(settings):
    link = pupil_link_for_call(
        _call(platform="teams", meeting_url="https://teams.example/x"),
        SimpleNamespace(pk=3, full_name="Ben Brown"),
        recording_consented_by_all=False,
        now=dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC),
    )

    assert link.url == "https://teams.example/x"


@pytest.mark.django_db
def test_staff_without_a_name_are_never_shown_by_email(teacher):
    from platforms.base import staff_participant

    teacher.first_name = teacher.last_name = ""

    assert staff_participant(teacher).full_name == "Member of staff"
