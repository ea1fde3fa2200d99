"""LOG-1: the platform's own account of a meeting (times, who, video) fills a MeetingReport,
from the end callback and from the beat poll, for the session-log app to pre-fill a log."""

import datetime as dt
import urllib.parse

import pytest
import time_machine
from auditlog.models import LogEntry

from platforms import selectors, services
from platforms.base import get_adapter
from platforms.models import MeetingReport
from platforms.tasks import poll_running_meetings
from platforms.tokens import callback_token, end_callback_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _just_after_the_booked_end(start):
    """Callbacks arrive as the meeting ends: the portal's clock half an hour after `start`."""
    with time_machine.travel(start + dt.timedelta(minutes=31)):
        yield


def _callback_path(fake_bbb, meeting_id):
    """The address the portal gave BigBlueButton on create, as BigBlueButton will call it."""
    meeting = fake_bbb.meetings.get(meeting_id, fake_bbb.ended.get(meeting_id))
    url = urllib.parse.urlsplit(meeting.params["meetingEndedURL"])
    return f"{url.path}?{url.query}&recordingmarks=false"


def _held_meeting(fake_bbb, spec, start):
    get_adapter().create_meeting(spec, now=start)
    fake_bbb.add_attendee(spec.meeting_id, "staff-1", "Tara Teacher", role="MODERATOR", has_video=True)
    fake_bbb.add_attendee(spec.meeting_id, "staff-2", "Helen Head", role="MODERATOR", has_video=False)
    fake_bbb.add_attendee(spec.meeting_id, "pupil-7", "Amelia Adams", has_video=True)
    fake_bbb.add_attendee(spec.meeting_id, "pupil-8", "Ben Brown", has_video=False)


@pytest.mark.policy("LOG-1")
def test_the_end_callback_writes_a_meeting_report(client, bbb_settings, fake_bbb, spec, start):
    _held_meeting(fake_bbb, spec, start)
    fake_bbb.finish(spec.meeting_id)  # ended, still readable for a moment

    response = client.get(_callback_path(fake_bbb, spec.meeting_id))

    assert response.status_code == 204
    report = MeetingReport.objects.get(meeting_id=spec.meeting_id)
    assert report.call_ref == "12"
    assert report.started_at is not None
    assert report.ended_at > report.started_at
    assert report.received_at is not None
    assert report.pupil_ids() == [7, 8]
    assert report.staff_user_ids() == [1, 2]
    assert report.pupils_without_video() == [8]
    assert {a["user_id"]: a["has_video"] for a in report.attendees} == {
        "staff-1": True,
        "staff-2": False,
        "pupil-7": True,
        "pupil-8": False,
    }


@pytest.mark.policy("LOG-1")
def test_the_poll_fills_the_report_while_the_meeting_runs(bbb_settings, fake_bbb, spec, start):
    _held_meeting(fake_bbb, spec, start)

    seen = poll_running_meetings.delay().get()

    assert seen == 1
    report = selectors.report_for_meeting(spec.meeting_id)
    assert report.ended_at is None
    assert len(report.attendees) == 4
    assert selectors.reports_for_call(12) == [report]


@pytest.mark.policy("LOG-1")
def test_the_callback_closes_a_report_even_when_the_meeting_is_already_gone(client, bbb_settings, fake_bbb, spec, start):
    _held_meeting(fake_bbb, spec, start)
    services.poll_meetings(now=start + dt.timedelta(minutes=5))
    get_adapter().end_meeting(spec.meeting_id)  # BigBlueButton forgets an ended meeting

    response = client.get(_callback_path(fake_bbb, spec.meeting_id))

    assert response.status_code == 204
    report = MeetingReport.objects.get(meeting_id=spec.meeting_id)
    assert report.ended_at is not None
    assert len(report.attendees) == 4  # kept from the poll


def test_a_repeated_callback_keeps_the_first_end(client, bbb_settings, fake_bbb, spec, start):
    _held_meeting(fake_bbb, spec, start)
    get_adapter().end_meeting(spec.meeting_id)
    path = _callback_path(fake_bbb, spec.meeting_id)
    assert client.get(path).status_code == 204
    first = MeetingReport.objects.get().ended_at

    assert client.get(path).status_code == 409  # the token was used

    assert MeetingReport.objects.get().ended_at == first
    assert MeetingReport.objects.count() == 1


ENDS = dt.datetime(2026, 11, 30, 10, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "token", ["", "egps-test-call-12", f"{callback_token('egps-test-call-12', ends_at=ENDS)}x", "egps-other:abc"]
)
def test_a_callback_without_a_valid_token_is_refused_and_writes_nothing(client, bbb_settings, token):
    response = client.get("/platforms/bbb/callback/", {"token": token})

    assert response.status_code == 403
    assert not MeetingReport.objects.exists()


def test_the_callback_answers_only_get(client, bbb_settings, spec):
    response = client.post(f"/platforms/bbb/callback/?token={callback_token(spec.meeting_id, ends_at=spec.ends_at)}")

    assert response.status_code == 405


def test_the_callback_records_the_end_when_the_server_is_down(client, bbb_settings, spec):
    bbb_settings.PORTAL_BBB_URL = "http://127.0.0.1:9/bigbluebutton/api"
    url = urllib.parse.urlsplit(end_callback_url(spec.meeting_id, ends_at=dt.datetime.now(dt.UTC)))

    response = client.get(f"{url.path}?{url.query}")

    assert response.status_code == 204
    assert MeetingReport.objects.get(meeting_id=spec.meeting_id).ended_at is not None


def test_a_meeting_no_longer_listed_is_closed_at_its_last_sighting(bbb_settings, fake_bbb, spec, start):
    _held_meeting(fake_bbb, spec, start)
    last_seen = start + dt.timedelta(minutes=20)
    services.poll_meetings(now=last_seen)
    fake_bbb.forget(spec.meeting_id)  # gone, and the callback never came

    services.poll_meetings(now=last_seen + dt.timedelta(minutes=1))

    report = MeetingReport.objects.get(meeting_id=spec.meeting_id)
    assert report.ended_at == last_seen
    assert report.received_at is None


def test_a_created_meeting_nobody_joined_has_no_report(bbb_settings, fake_bbb, spec, start):
    get_adapter().create_meeting(spec, now=start)

    assert services.poll_meetings(now=start) == 0
    assert not MeetingReport.objects.exists()


def test_polling_on_the_manual_platform_asks_nobody(settings):
    assert poll_running_meetings.delay().get() == 0
    assert not MeetingReport.objects.exists()


def test_polling_a_server_that_is_down_is_skipped(bbb_settings):
    bbb_settings.PORTAL_BBB_URL = "http://127.0.0.1:9/bigbluebutton/api"

    assert poll_running_meetings.delay().get() == 0


def test_a_poll_that_sees_nothing_new_leaves_no_audit_entry(bbb_settings, fake_bbb, spec, start):
    _held_meeting(fake_bbb, spec, start)
    services.poll_meetings(now=start)
    entries = LogEntry.objects.count()
    assert entries > 0  # the first sighting is history (GOV-3)

    services.poll_meetings(now=start + dt.timedelta(minutes=1))

    assert MeetingReport.objects.get().last_polled_at == start + dt.timedelta(minutes=1)
    assert LogEntry.objects.count() == entries


def test_report_length_in_minutes():
    start = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)

    assert MeetingReport(started_at=start, ended_at=start + dt.timedelta(minutes=29, seconds=40)).length_minutes == 30
    assert MeetingReport(started_at=start).length_minutes is None


def test_the_portal_mounts_the_callback_where_the_adapter_points():
    from django.urls import reverse

    assert reverse("platforms:bbb_callback", urlconf="egps_portal.urls") == "/platforms/bbb/callback/"


def test_beat_polls_running_meetings_every_minute():
    from egps_portal.celery import app

    entry = app.conf.beat_schedule["platforms-poll-running-meetings"]

    assert entry == {"task": "platforms.tasks.poll_running_meetings", "schedule": 60.0}
