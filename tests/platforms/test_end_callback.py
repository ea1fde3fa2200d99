"""The end callback (LOG-1) as BigBlueButton's API describes it, against the fake server that checks
checksums like bbb-web: sent server-side as create's meetingEndedURL (never in metadata, which
clients and recordings see); its token is bound to one meeting, expires after the booked end and
is taken once; a callback while getMeetingInfo says running=true changes nothing."""

import base64
import datetime as dt
import json
import urllib.parse

import pytest
import time_machine

from platforms.base import get_adapter
from platforms.models import MeetingReport
from platforms.tokens import GRACE

pytestmark = pytest.mark.django_db


def _create(fake_bbb, spec, start):
    get_adapter().create_meeting(spec, now=start)
    return fake_bbb.last("create")


def _callback_path(sent) -> str:
    """The address as bbb-web calls it when the meeting ends (it adds meetingID and recordingmarks)."""
    url = urllib.parse.urlsplit(sent["meetingEndedURL"])
    return f"{url.path}?{url.query}&meetingID=x&recordingmarks=false"


def _token(sent) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(sent["meetingEndedURL"]).query)["token"][0]


def _running(fake_bbb, spec):
    fake_bbb.add_attendee(spec.meeting_id, "staff-1", "Tara Teacher", role="MODERATOR")
    fake_bbb.add_attendee(spec.meeting_id, "pupil-7", "Amelia Adams")


def test_the_callback_goes_in_meeting_ended_url_and_nowhere_a_client_sees(fake_bbb, bbb_settings, spec, start):
    sent = _create(fake_bbb, spec, start)
    _running(fake_bbb, spec)

    assert sent["meetingEndedURL"].startswith("https://portal.egps.test/platforms/bbb/callback/?token=")
    assert not [name for name in sent if name.lower().startswith("meta_") and "callback" in name.lower()]
    token = _token(sent)
    assert all(token not in value for name, value in sent.items() if name != "meetingEndedURL")
    # What getMeetingInfo (and so every client and the recording's metadata.xml) carries:
    info = get_adapter().meeting_info(spec.meeting_id)
    assert all(token not in value for value in info.metadata.values())
    assert "endcallbackurl" not in info.metadata


def test_a_callback_while_the_platform_says_running_is_ignored(client, fake_bbb, bbb_settings, spec, start):
    sent = _create(fake_bbb, spec, start)
    _running(fake_bbb, spec)
    early = start + dt.timedelta(minutes=5)

    with time_machine.travel(early):
        response = client.get(_callback_path(sent))

    assert response.status_code == 409
    assert not MeetingReport.objects.filter(ended_at__isnull=False).exists()

    # The real end: the same address, called by the server once the meeting is over, is taken.
    fake_bbb.set_time(spec.ends_at)
    fake_bbb.finish(spec.meeting_id)
    with time_machine.travel(start + dt.timedelta(minutes=30)):
        assert client.get(_callback_path(sent)).status_code == 204
    report = MeetingReport.objects.get(meeting_id=spec.meeting_id)
    assert abs(report.ended_at - spec.ends_at) < dt.timedelta(seconds=1)  # the server's own end time
    assert report.received_at is not None


def test_the_token_expires_after_the_booked_end(client, fake_bbb, bbb_settings, spec, start):
    sent = _create(fake_bbb, spec, start)
    _running(fake_bbb, spec)
    fake_bbb.finish(spec.meeting_id)

    with time_machine.travel(spec.ends_at + GRACE + dt.timedelta(minutes=1)):
        response = client.get(_callback_path(sent))

    assert response.status_code == 403
    assert not MeetingReport.objects.exists()


def test_the_token_is_taken_once(client, fake_bbb, bbb_settings, spec, start):
    sent = _create(fake_bbb, spec, start)
    _running(fake_bbb, spec)
    fake_bbb.finish(spec.meeting_id)
    with time_machine.travel(spec.ends_at):
        assert client.get(_callback_path(sent)).status_code == 204
    first = MeetingReport.objects.get().ended_at
    get_adapter().end_meeting(spec.meeting_id)  # the server forgets the meeting: nothing left to ask

    with time_machine.travel(spec.ends_at + dt.timedelta(minutes=20)):
        replay = client.get(_callback_path(sent))

    assert replay.status_code == 409
    assert MeetingReport.objects.get().ended_at == first


def test_the_token_is_bound_to_its_meeting(client, fake_bbb, bbb_settings, spec, start):
    """Another meeting's id put into the token breaks its signature."""
    sent = _create(fake_bbb, spec, start)
    payload, _, signature = _token(sent).partition(":")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["m"] = "egps-test-call-99"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")

    with time_machine.travel(spec.ends_at):
        response = client.get("/platforms/bbb/callback/", {"token": f"{forged_payload}:{signature}"})

    assert response.status_code == 403
    assert not MeetingReport.objects.exists()


def test_two_creates_give_two_different_addresses(fake_bbb, bbb_settings, spec, start):
    first = _create(fake_bbb, spec, start)["meetingEndedURL"]
    fake_bbb.forget(spec.meeting_id)
    second = _create(fake_bbb, spec, start + dt.timedelta(minutes=1))["meetingEndedURL"]

    assert first != second


@pytest.mark.policy("CALL-6")
def test_children_see_only_the_staff_in_the_user_list(fake_bbb, bbb_settings, spec, start):
    sent = _create(fake_bbb, spec, start)

    assert sent["lockSettingsHideUserList"] == "true"
    assert sent["lockSettingsLockOnJoin"] == "true"  # so the lock applies to children as they join


@pytest.mark.policy("CON-6")
@pytest.mark.parametrize("record", [True, False])
def test_everyone_is_told_when_recording_starts_on_a_lesson_that_may_be_recorded(fake_bbb, bbb_settings, spec, start, record):
    import dataclasses

    sent = _create(fake_bbb, dataclasses.replace(spec, record=record), start)

    assert sent["notifyRecordingIsOn"] == ("true" if record else "false")
    assert sent["record"] == ("true" if record else "false")
