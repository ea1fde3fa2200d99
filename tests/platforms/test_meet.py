"""Google Meet through the official google-apps-meet client (its REST transport, google-auth's
service-account JWT grant), against a fake Meet over real HTTP (tests/platforms/fake_meet.py).
"""

import datetime as dt
import json

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache

from calls import gateway
from calls.choices import CallKind, Platform
from calls.services import booking, one_to_ones
from platforms import hosted, meet
from platforms.base import MEET, configured_platforms, get_adapter
from platforms.meetings import SETTINGS_NEED_CHECKING, meeting_id_for_call
from platforms.models import HostedMeeting, MeetingReport
from tests.calls.conftest import TUESDAY_10, consent, join_token, outbox
from tests.factories import family_holder
from tests.platforms import fake_meet
from tests.platforms.test_zoom import choose_platform

pytestmark = pytest.mark.django_db

BOOKED_AT = TUESDAY_10 - dt.timedelta(hours=2)
JOIN_AT = TUESDAY_10 - dt.timedelta(minutes=2)
CLIENT_EMAIL = "egps-portal@egps-school.iam.gserviceaccount.com"


@pytest.fixture(autouse=True)
def _platforms_urls():
    """Through the calls pages: the project's own URLs stay."""


@pytest.fixture(scope="module")
def key_pair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@pytest.fixture
def google(settings, tmp_path, key_pair):
    cache.clear()
    meet._credentials.clear()
    private, public = key_pair
    server = fake_meet.FakeMeet(client_email=CLIENT_EMAIL, public_pem=public).start()
    account = tmp_path / "service-account.json"
    account.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "egps-school",
                "private_key_id": "k1",
                "private_key": private,
                "client_email": CLIENT_EMAIL,
                "client_id": "1234567890",
                "token_uri": f"{server.base}/token",
            }
        )
    )
    settings.PORTAL_MEET_SERVICE_ACCOUNT_FILE = str(account)
    settings.PORTAL_MEET_DELEGATED_USER = "teacher@example.test"
    settings.PORTAL_MEET_API_ENDPOINT = server.base
    settings.PORTAL_PLATFORM_MAX_RETRIES = 3
    choose_platform("meet")
    from egps_portal.celery import app

    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield server
    app.conf.task_eager_propagates = propagates
    server.stop()
    meet._credentials.clear()
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
            platform=Platform.GOOGLE_MEET,
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
def test_booking_creates_the_meet_space_with_every_enforceable_setting(google, group_call):
    created = google.calls("POST", "/v2/spaces")
    assert len(created) == 1
    row = row_for(group_call)
    stored = google.spaces[row.external_id]["config"]  # as the fake read it (numbers turned into names)
    assert stored["accessType"] == "RESTRICTED"  # everyone knocks: the waiting room
    assert stored["entryPointAccess"] == "ALL"
    assert stored["moderation"] == "ON"
    assert stored["moderationRestrictions"]["chatRestriction"] == "HOSTS_ONLY"  # no private messaging
    assert stored["moderationRestrictions"]["presentRestriction"] == "HOSTS_ONLY"  # only staff present
    assert stored["moderationRestrictions"]["reactionRestriction"] == "HOSTS_ONLY"
    assert stored["moderationRestrictions"]["defaultJoinAsViewerType"] == "OFF"  # children can turn cameras on
    assert stored["attendanceReportGenerationType"] == "GENERATE_REPORT"
    assert stored["artifactConfig"]["recordingConfig"]["autoRecordingGeneration"] == "OFF"  # CON-6
    assert stored["artifactConfig"]["transcriptionConfig"]["autoTranscriptionGeneration"] == "OFF"
    assert stored["artifactConfig"]["smartNotesConfig"]["autoSmartNotesGeneration"] == "OFF"
    assert set(created[0]) == {"config"}
    assert row.state == HostedMeeting.State.CREATED
    assert row.join_url == google.spaces[row.external_id]["meetingUri"]


def test_a_misspelt_config_field_is_refused_by_the_fake_as_by_google(google):
    status = fake_meet.normalise
    with pytest.raises(ValueError, match='Unknown name "acessType"'):
        status({"acessType": "RESTRICTED"}, fake_meet.CONFIG, "space.config")
    with pytest.raises(ValueError, match="Invalid value"):
        status({"moderation": "MAYBE"}, fake_meet.CONFIG, "space.config")


@pytest.mark.policy("CALL-6")
def test_a_429_then_success_makes_exactly_one_space(google, book, child_a, guardian_a, monkeypatch):
    from platforms import tasks

    waits = []
    real_retry = tasks.create_hosted_meeting.retry
    monkeypatch.setattr(
        tasks.create_hosted_meeting, "retry", lambda *a, **k: (waits.append(k.get("countdown")), real_retry(*a, **k))[1]
    )
    google.throttle(retry_after="5")
    consent(child_a, guardian_a)
    call = book(pupil_ids=[child_a.pk])

    assert waits == [5.0]
    assert len(google.spaces) == 1
    assert len(google.calls("POST", "/v2/spaces")) == 2
    assert row_for(call).state == HostedMeeting.State.CREATED


@pytest.mark.policy("CALL-6")
def test_a_changed_setting_is_drift_and_children_wait(google, group_call, guardian_a):
    row = row_for(group_call)
    google.spaces[row.external_id]["config"]["accessType"] = "OPEN"
    google.spaces[row.external_id]["config"]["moderationRestrictions"]["chatRestriction"] = "NO_RESTRICTION"

    drifts = hosted.check_drift(row.meeting_id, now=JOIN_AT)
    token = join_token(outbox("call-join", to=guardian_a.email)[-1])
    outcome = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))

    assert {(d.setting, d.expected, d.actual) for d in drifts} == {
        ("config.accessType", "RESTRICTED", "OPEN"),
        ("config.moderationRestrictions.chatRestriction", "HOSTS_ONLY", "NO_RESTRICTION"),
    }
    assert outcome.allowed is False
    assert outcome.reason == SETTINGS_NEED_CHECKING


@pytest.mark.policy("COM-4")
def test_the_family_is_handed_the_meet_address_by_the_portal_gateway(google, group_call, guardian_a):
    message = outbox("call-join", to=guardian_a.email)[-1]
    assert "meet.google.com" not in message.body_text
    token = join_token(message)
    outcome = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))
    assert outcome.allowed is True
    assert outcome.platform_url == row_for(group_call).join_url


@pytest.mark.policy("LOG-1")
def test_conference_participants_fill_the_session_log_prefill(google, group_call):
    row = row_for(group_call)
    google.add_conference(
        row.external_id,
        start="2026-11-10T09:58:00Z",
        end="2026-11-10T10:31:00Z",
        people=[
            {
                "signedinUser": {"user": "users/1001", "displayName": "Tara Teacher"},
                "earliestStartTime": "2026-11-10T09:58:00Z",
                "latestEndTime": "2026-11-10T10:31:00Z",
            },
            {
                "anonymousUser": {"displayName": "Amelia Adams"},
                "earliestStartTime": "2026-11-10T10:01:00Z",
                "latestEndTime": "2026-11-10T10:29:00Z",
            },
        ],
    )

    hosted.read_attendance(row.meeting_id, now=TUESDAY_10 + dt.timedelta(hours=1))

    report = MeetingReport.objects.get(meeting_id=row.meeting_id)
    assert report.call_ref == str(group_call.pk)
    assert sorted(a["full_name"] for a in report.attendees) == ["Amelia Adams", "Tara Teacher"]
    assert report.started_at == dt.datetime(2026, 11, 10, 9, 58, tzinfo=dt.UTC)
    assert report.ended_at == dt.datetime(2026, 11, 10, 10, 31, tzinfo=dt.UTC)


def test_a_host_outside_the_delegation_is_a_plain_refusal(google, book, child_a, guardian_a):
    google.hosts = set()
    consent(child_a, guardian_a)
    call = book(pupil_ids=[child_a.pk])
    row = row_for(call)
    assert row.state == HostedMeeting.State.FAILED
    assert "refused the portal's credentials" in row.last_error


def test_tokens_are_reused_and_meet_is_configured(google, group_call):
    cache.clear()  # the booking ran at another (travelled) time
    google.token_requests = 0
    spec = hosted.spec_from_json(row_for(group_call).spec)
    get_adapter(MEET).drift(spec, row_for(group_call).external_id)
    get_adapter(MEET).drift(spec, row_for(group_call).external_id)
    assert google.token_requests == 1  # one grant, reused by the second adapter and client
    assert MEET in configured_platforms()


def test_platform_check_meet(google):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("platform_check", "meet", "--host", "teacher@example.test", stdout=out)
    text = out.getvalue()
    assert "meet: OK: read back, every enforceable setting matches the policy." in text
    assert "meet: NOT VERIFIED: Microphones and cameras off on entry" in text


@pytest.mark.policy("CALL-5")
def test_moving_the_call_keeps_the_same_space_and_reapplies_the_policy(
    google, group_call, teacher, django_capture_on_commit_callbacks
):
    row = row_for(group_call)
    google.spaces[row.external_id]["config"]["accessType"] = "OPEN"  # changed by hand meanwhile
    with time_machine.travel(BOOKED_AT, tick=False), django_capture_on_commit_callbacks(execute=True):
        booking.change_call_time(
            call=group_call, changed_by=teacher, now=BOOKED_AT, starts_at=TUESDAY_10 + dt.timedelta(hours=1), duration_minutes=45
        )

    assert len(google.spaces) == 1
    assert google.spaces[row.external_id]["config"]["accessType"] == "RESTRICTED"
    assert hosted.check_drift(row.meeting_id, now=JOIN_AT) == []


# --- CALL-3 on Meet: two staff present before the child of a one-to-one is let through -------------


@pytest.mark.policy("CALL-3")
def test_a_meet_one_to_one_makes_the_child_wait_until_both_staff_are_in(
    client, google, book, child_a, guardian_a, head, teacher, dsl
):
    import html

    from django.urls import reverse

    consent(child_a, guardian_a)
    call = book(kind=CallKind.ONE_TO_ONE, title="Reading one-to-one", pupil_ids=[child_a.pk])
    with time_machine.travel(BOOKED_AT, tick=False):
        one_to_ones.record_parent_agreement(call=call, guardian=guardian_a, decided_by=guardian_a.user, now=BOOKED_AT, agree=True)
        one_to_ones.approve_call(call=call, approver=head, now=BOOKED_AT)
    row = row_for(call)

    def press_join():
        client.force_login(guardian_a.user)
        token = join_token(outbox("call-join", to=guardian_a.email)[-1])
        with time_machine.travel(JOIN_AT, tick=False):
            return html.unescape(client.post(reverse("calls:join", args=[token])).content.decode())

    def teacher_in(name, user, **more):
        return {"signedinUser": {"user": user, "displayName": name}, "earliestStartTime": "2026-11-10T09:57:00Z", **more}

    before = press_join()  # no conference yet
    google.add_conference(row.external_id, start="2026-11-10T09:57:00Z", end=None, people=[teacher_in("Tara Teacher", "users/1")])
    host_only = press_join()
    people = google.records[row.external_id][-1][1]
    people.append({"anonymousUser": {"displayName": dsl.get_full_name()}, "name": "x/participants/a"})  # a typed name
    people.append({**teacher_in("Tara Teacher", "users/1"), "name": "x/participants/b"})  # the host's second device
    people.append(
        {**teacher_in(dsl.get_full_name(), "users/2", latestEndTime="2026-11-10T09:58:00Z"), "name": "x/participants/c"}
    )
    still_one = press_join()
    people.append({**teacher_in(dsl.get_full_name(), "users/2"), "name": "x/participants/d"})
    both = press_join()

    for page in (before, host_only, still_one):
        assert "not ready yet" in page
        assert row.join_url not in page
    assert f'href="{row.join_url}"' in both
    asked = [(m, p) for m, p, _ in google.requests if p.startswith("/v2/conferenceRecords")]
    assert ("GET", "/v2/conferenceRecords") in asked
