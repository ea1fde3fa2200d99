"""Microsoft Teams through the official msgraph-sdk (its real HTTP layer: Kiota, httpx), against a
fake Graph over real HTTP (tests/platforms/fake_graph.py): booking creates the meeting with
createOrGet and the policy's settings, exactly once; drift, attendance, the join gateway.
"""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache

from calls import gateway
from calls.choices import CallKind, Platform
from calls.services import booking
from consent.choices import Scope
from platforms import hosted
from platforms.base import TEAMS, PlatformError, configured_platforms, get_adapter
from platforms.meetings import SETTINGS_NEED_CHECKING, meeting_id_for_call
from platforms.models import HostedMeeting, MeetingReport
from tests.calls.conftest import TUESDAY_10, consent, join_token, outbox
from tests.factories import family_holder
from tests.platforms import fake_graph
from tests.platforms.test_zoom import choose_platform

pytestmark = pytest.mark.django_db

BOOKED_AT = TUESDAY_10 - dt.timedelta(hours=2)
JOIN_AT = TUESDAY_10 - dt.timedelta(minutes=2)


@pytest.fixture(autouse=True)
def _platforms_urls():
    """Through the calls pages: the project's own URLs stay."""


@pytest.fixture
def graph(settings):
    cache.clear()
    server = fake_graph.FakeGraph().start()
    settings.PORTAL_TEAMS_TENANT_ID = fake_graph.TENANT
    settings.PORTAL_TEAMS_CLIENT_ID = fake_graph.CLIENT_ID
    settings.PORTAL_TEAMS_CLIENT_SECRET = fake_graph.CLIENT_SECRET
    settings.PORTAL_TEAMS_GRAPH_URL = f"{server.base}/v1.0"
    settings.PORTAL_TEAMS_AUTHORITY = server.base
    settings.PORTAL_TEAMS_DEFAULT_HOST = "teacher@example.test"
    settings.PORTAL_PLATFORM_MAX_RETRIES = 3
    choose_platform("teams")
    from egps_portal.celery import app

    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield server
    app.conf.task_eager_propagates = propagates
    server.stop()
    cache.clear()


@pytest.fixture
def book(teacher, dsl, school_week, django_capture_on_commit_callbacks):
    def _book(**changes):
        facts = dict(
            booked_by=teacher,
            now=BOOKED_AT,
            kind=CallKind.GROUP,
            title="Year 3 phonics",
            activity="Sounds and letters.",
            platform=Platform.MICROSOFT_TEAMS,
            starts_at=TUESDAY_10,
            duration_minutes=30,
            host=teacher,
            second_staff=dsl,
            record=False,
            pupil_ids=[],
        )
        with time_machine.travel(BOOKED_AT, tick=False), django_capture_on_commit_callbacks(execute=True):
            return booking.book_call(**{**facts, **changes})

    return _book


@pytest.fixture
def group_call(book, child_a, guardian_a):
    consent(child_a, guardian_a)
    return book(pupil_ids=[child_a.pk])


def row_for(call) -> HostedMeeting:
    return HostedMeeting.objects.get(meeting_id=meeting_id_for_call(call.pk))


@pytest.mark.policy("CALL-6")
def test_booking_creates_the_teams_meeting_with_every_enforceable_setting(graph, group_call):
    created = graph.calls("POST", "/createOrGet")
    patched = graph.calls("PATCH")
    assert len(created) == 1
    assert len(patched) == 1
    assert created[0]["externalId"] == meeting_id_for_call(group_call.pk)
    assert created[0]["subject"] == "Year 3 phonics"
    assert created[0]["startDateTime"].startswith("2026-11-10T10:00:00")
    assert created[0]["endDateTime"].startswith("2026-11-10T10:30:00")
    sent = patched[0]
    assert sent["lobbyBypassSettings"]["scope"] == "organizer"  # waiting room: only the organiser bypasses
    assert sent["lobbyBypassSettings"]["isDialInBypassEnabled"] is False
    assert sent["allowedPresenters"] == "organizer"  # only staff present
    assert sent["allowMeetingChat"] == "disabled"  # no private messaging
    assert sent["allowParticipantsToChangeName"] is False  # real names locked
    assert sent["allowAttendeeToEnableMic"] is False  # muted on entry
    assert sent["allowAttendeeToEnableCamera"] is True  # children's cameras on
    assert sent["recordAutomatically"] is False
    assert sent["allowRecording"] is False  # CON-6: nobody consented to recording
    assert sent["allowTranscription"] is False
    assert sent["isEntryExitAnnounced"] is True
    row = row_for(group_call)
    meeting = graph.meetings[row.external_id]
    assert row.state == HostedMeeting.State.CREATED
    assert row.join_url == meeting["joinWebUrl"]


@pytest.mark.policy("CON-6")
def test_recording_is_allowed_only_when_every_invitee_consented(graph, book, child_a, guardian_a):
    consent(child_a, guardian_a, Scope.VIDEO_CALLS, Scope.RECORDING)
    book(pupil_ids=[child_a.pk], record=False, title="Not recorded")
    book(pupil_ids=[child_a.pk], record=True, title="Recorded", starts_at=TUESDAY_10 + dt.timedelta(hours=1))

    first, second = graph.calls("PATCH")
    assert first["allowRecording"] is False  # the call did not ask
    assert second["allowRecording"] is True  # asked, and every invitee has recording permission
    assert second["recordAutomatically"] is False  # staff still press Record


def test_a_misspelt_property_is_refused_by_the_fake_as_by_graph(graph):
    import requests

    token = get_adapter(TEAMS).credential.get_token().token
    url = f"{graph.base}/v1.0/users/teacher@example.test/onlineMeetings/createOrGet"
    answer = requests.post(
        url, json={"externalId": "x", "lobbyBypassSetings": {}}, timeout=5, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 400
    assert "lobbyBypassSetings" in answer.json()["error"]["message"]


@pytest.mark.policy("CALL-6")
def test_a_429_then_success_makes_exactly_one_meeting(graph, book, child_a, guardian_a, monkeypatch):
    from platforms import tasks

    waits = []
    real_retry = tasks.create_hosted_meeting.retry
    monkeypatch.setattr(
        tasks.create_hosted_meeting, "retry", lambda *a, **k: (waits.append(k.get("countdown")), real_retry(*a, **k))[1]
    )
    graph.throttle(retry_after="4")
    consent(child_a, guardian_a)
    call = book(pupil_ids=[child_a.pk])

    assert waits == [4.0]
    assert len(graph.meetings) == 1
    assert len(graph.calls("POST", "/createOrGet")) == 2
    assert row_for(call).state == HostedMeeting.State.CREATED


@pytest.mark.policy("CALL-6")
def test_a_killed_worker_after_create_does_not_make_a_second_meeting(graph, book, child_a, guardian_a):
    consent(child_a, guardian_a)
    call = book(pupil_ids=[child_a.pk])
    # The worker died after createOrGet answered, before the row was marked: run it again.
    HostedMeeting.objects.filter(pk=row_for(call).pk).update(state=HostedMeeting.State.CREATING, external_id="")
    hosted.create(row_for(call).meeting_id)

    assert len(graph.meetings) == 1
    assert row_for(call).external_id == next(iter(graph.meetings))


@pytest.mark.policy("CALL-6")
def test_a_changed_setting_is_drift_and_children_wait(graph, group_call, guardian_a):
    row = row_for(group_call)
    graph.meetings[row.external_id]["allowMeetingChat"] = "enabled"
    graph.meetings[row.external_id]["lobbyBypassSettings"]["scope"] = "everyone"

    drifts = hosted.check_drift(row.meeting_id, now=JOIN_AT)
    token = join_token(outbox("call-join", to=guardian_a.email)[-1])
    outcome = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))

    assert {(d.setting, d.expected, d.actual) for d in drifts} == {
        ("allowMeetingChat", "disabled", "enabled"),
        ("lobbyBypassSettings.scope", "organizer", "everyone"),
    }
    assert outcome.allowed is False
    assert outcome.reason == SETTINGS_NEED_CHECKING


@pytest.mark.policy("COM-4")
def test_the_family_is_handed_the_teams_address_by_the_portal_gateway(graph, group_call, guardian_a):
    message = outbox("call-join", to=guardian_a.email)[-1]
    assert "teams.microsoft.com" not in message.body_text
    token = join_token(message)
    outcome = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))
    assert outcome.allowed is True
    assert outcome.platform_url == row_for(group_call).join_url
    assert hosted.check_drift(row_for(group_call).meeting_id, now=JOIN_AT) == []


@pytest.mark.policy("LOG-1")
def test_attendance_reports_fill_the_session_log_prefill(graph, group_call):
    row = row_for(group_call)
    graph.reports[row.external_id] = [
        (
            {
                "id": "rep-1",
                "totalParticipantCount": 2,
                "meetingStartDateTime": "2026-11-10T09:58:00Z",
                "meetingEndDateTime": "2026-11-10T10:31:00Z",
            },
            [
                {
                    "id": "r1",
                    "emailAddress": "teacher@example.test",
                    "totalAttendanceInSeconds": 1980,
                    "role": "Organizer",
                    "identity": {"id": "aad-1", "displayName": "Tara Teacher", "tenantId": fake_graph.TENANT},
                    "attendanceIntervals": [
                        {
                            "joinDateTime": "2026-11-10T09:58:00Z",
                            "leaveDateTime": "2026-11-10T10:31:00Z",
                            "durationInSeconds": 1980,
                        }
                    ],
                },
                {
                    "id": "r2",
                    "emailAddress": "",
                    "totalAttendanceInSeconds": 1680,
                    "role": "Attendee",
                    "identity": {"id": "", "displayName": "Amelia Adams"},
                    "attendanceIntervals": [
                        {
                            "joinDateTime": "2026-11-10T10:01:00Z",
                            "leaveDateTime": "2026-11-10T10:29:00Z",
                            "durationInSeconds": 1680,
                        }
                    ],
                },
            ],
        )
    ]

    hosted.read_attendance(row.meeting_id, now=TUESDAY_10 + dt.timedelta(hours=1))

    report = MeetingReport.objects.get(meeting_id=row.meeting_id)
    assert report.call_ref == str(group_call.pk)
    assert {(a["full_name"], a["role"]) for a in report.attendees} == {("Tara Teacher", "MODERATOR"), ("Amelia Adams", "VIEWER")}
    assert report.started_at == dt.datetime(2026, 11, 10, 9, 58, tzinfo=dt.UTC)
    assert report.ended_at == dt.datetime(2026, 11, 10, 10, 31, tzinfo=dt.UTC)


def test_no_application_access_policy_is_a_plain_refusal(graph, book, child_a, guardian_a):
    graph.users["teacher@example.test"]["policy"] = False
    consent(child_a, guardian_a)
    call = book(pupil_ids=[child_a.pk])
    row = row_for(call)
    assert row.state == HostedMeeting.State.FAILED
    assert "HTTP 403" in row.last_error
    with pytest.raises(PlatformError):
        get_adapter(TEAMS).drift(hosted.spec_from_json(row.spec), "MSoSomething")


def test_the_token_is_cached(graph, group_call):
    cache.clear()
    graph.token_requests = 0
    adapter = get_adapter(TEAMS)
    spec = hosted.spec_from_json(row_for(group_call).spec)
    adapter.drift(spec, row_for(group_call).external_id)
    get_adapter(TEAMS).drift(spec, row_for(group_call).external_id)
    assert graph.token_requests == 1
    assert TEAMS in configured_platforms()


def test_platform_check_teams(graph, settings):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("platform_check", "teams", "--host", "teacher@example.test", stdout=out)
    text = out.getvalue()
    assert "teams: OK: read back, every enforceable setting matches the policy." in text
    assert "teams: NOT VERIFIED: Children admitted one at a time" in text
    assert graph.meetings == {}


@pytest.mark.policy("CALL-5")
def test_moving_the_call_moves_the_same_teams_meeting(graph, group_call, teacher, django_capture_on_commit_callbacks):
    row = row_for(group_call)
    with time_machine.travel(BOOKED_AT, tick=False), django_capture_on_commit_callbacks(execute=True):
        booking.change_call_time(
            call=group_call, changed_by=teacher, now=BOOKED_AT, starts_at=TUESDAY_10 + dt.timedelta(hours=1), duration_minutes=45
        )

    meeting = graph.meetings[row.external_id]
    assert len(graph.meetings) == 1
    assert meeting["startDateTime"].startswith("2026-11-10T11:00:00")
    assert meeting["endDateTime"].startswith("2026-11-10T11:45:00")
    assert graph.calls("PATCH")[-1]["allowedPresenters"] == "organizer"
