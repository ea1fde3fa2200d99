"""Zoom through its REST API, against a fake Zoom over real HTTP (tests/platforms/fake_zoom.py):
booking creates the meeting with every enforceable CALL-6 setting, exactly once however the
platform fails; a changed setting shows as drift and stops children joining; attendance fills
the session log's pre-fill; families still enter through the portal's own join link.
"""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from calls import gateway
from calls.choices import CallKind, Platform
from calls.services import booking, one_to_ones
from egps_portal.envfiles import PortalEnv
from platforms import hosted
from platforms.base import ZOOM, PlatformError, configured_platforms, get_adapter
from platforms.meetings import SETTINGS_NEED_CHECKING, meeting_id_for_call
from platforms.models import HostedMeeting, MeetingReport
from platforms.remote import RetryLater, retry_after_seconds
from platforms.zoom import ZoomAdapter
from tests.calls.conftest import TUESDAY_10, consent, join_token, outbox
from tests.factories import family_holder
from tests.platforms import fake_zoom

pytestmark = pytest.mark.django_db

BOOKED_AT = TUESDAY_10 - dt.timedelta(hours=2)
JOIN_AT = TUESDAY_10 - dt.timedelta(minutes=2)


@pytest.fixture(autouse=True)
def _platforms_urls():
    """Through the calls pages: the project's own URLs stay."""


@pytest.fixture
def zoom(settings):
    cache.clear()
    server = fake_zoom.FakeZoom().start()
    settings.PORTAL_ZOOM_ACCOUNT_ID = fake_zoom.ACCOUNT
    settings.PORTAL_ZOOM_CLIENT_ID = fake_zoom.CLIENT_ID
    settings.PORTAL_ZOOM_CLIENT_SECRET = fake_zoom.CLIENT_SECRET
    settings.PORTAL_ZOOM_API_URL = f"{server.base}/v2"
    settings.PORTAL_ZOOM_OAUTH_URL = f"{server.base}/oauth/token"
    settings.PORTAL_PLATFORM_MAX_RETRIES = 3
    choose_platform("zoom")
    # Eager tasks retry in-process (Celery's apply loop) instead of raising Retry into the test.
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
            platform=Platform.ZOOM,
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


def choose_platform(key):
    from school.models import SchoolSettings

    school = SchoolSettings.objects.get_or_create(pk=1)[0]
    school.video_platform = key
    school.save()


def settings_post(client, head, **changes):
    from django.urls import reverse

    from school.forms import SchoolSettingsForm
    from school.models import SchoolSettings

    form = SchoolSettingsForm(instance=SchoolSettings.objects.get_or_create(pk=1)[0])
    data = {name: form.initial.get(name) or "" for name in form.fields if name != "logo"}
    client.force_login(head)
    return client.post(reverse("school:settings"), {**data, **changes})


def row_for(call) -> HostedMeeting:
    return HostedMeeting.objects.get(meeting_id=meeting_id_for_call(call.pk))


@pytest.mark.policy("CALL-6")
def test_booking_creates_the_zoom_meeting_with_every_enforceable_setting(zoom, group_call, teacher):
    creates = zoom.creates()
    assert len(creates) == 1
    body = creates[0]
    posts = [path for method, path, _ in zoom.requests if method == "POST"]
    assert posts[0] == f"/v2/users/{teacher.email}/meetings"
    assert posts[1:] == [f"/v2/meetings/{row_for(group_call).external_id}/registrants"]  # the one child's place
    assert body["topic"] == "Year 3 phonics"
    assert body["type"] == 2
    assert body["start_time"] == "2026-11-10T10:00:00Z"
    assert body["duration"] == 30
    assert body["agenda"] == f"EGPS Portal reference: {meeting_id_for_call(group_call.pk)}"
    sent = body["settings"]
    assert sent["waiting_room"] is True  # waiting room on
    assert sent["join_before_host"] is False  # nobody in before staff
    assert sent["mute_upon_entry"] is True  # microphones muted on entry
    assert sent["participant_video"] is False  # video off on entry
    assert sent["auto_recording"] == "none"  # no automatic recording (CON-6)
    assert sent["meeting_authentication"] is False  # the school did not ask for Zoom sign-in
    assert sent["private_meeting"] is True
    assert sent["approval_type"] == 0  # registration on, approved automatically: one registrant per child
    assert sent["registration_type"] == 1
    assert sent["registrants_confirmation_email"] is False  # Zoom never emails families the address
    assert sent["registrants_email_notification"] is False
    row = row_for(group_call)
    assert row.state == HostedMeeting.State.CREATED
    assert row.external_id in zoom.meetings
    assert row.join_url == zoom.meetings[row.external_id]["join_url"]


@pytest.mark.policy("CALL-6")
def test_authentication_is_required_when_the_school_says_so(zoom, settings, group_call, book, child_a):
    settings.PORTAL_ZOOM_REQUIRE_AUTHENTICATION = True
    book(title="Signed-in lesson", starts_at=TUESDAY_10 + dt.timedelta(hours=1), pupil_ids=[child_a.pk])
    assert zoom.creates()[-1]["settings"]["meeting_authentication"] is True


def test_a_misspelt_field_is_refused_by_the_fake_as_by_zoom(zoom, teacher):
    adapter = get_adapter(ZOOM)
    with pytest.raises(PlatformError, match=r"HTTP 400.*Invalid field: waiting_rooom"):
        adapter._call(
            "POST",
            f"/users/{teacher.email}/meetings",
            json={"topic": "x", "type": 2, "start_time": "2026-11-10T10:00:00Z", "settings": {"waiting_rooom": True}},
        )
    with pytest.raises(PlatformError, match=r"Invalid value for auto_recording"):
        adapter._call(
            "POST",
            f"/users/{teacher.email}/meetings",
            json={"topic": "x", "type": 2, "start_time": "2026-11-10T10:00:00Z", "settings": {"auto_recording": "off"}},
        )
    assert zoom.meetings == {}


@pytest.mark.policy("CALL-6")
def test_a_429_then_success_makes_exactly_one_meeting_after_the_retry_after(zoom, book, monkeypatch, child_a, guardian_a):
    from platforms import tasks

    waits = []
    real_retry = tasks.create_hosted_meeting.retry

    def note_wait(*args, **kwargs):
        waits.append(kwargs.get("countdown"))
        return real_retry(*args, **kwargs)

    monkeypatch.setattr(tasks.create_hosted_meeting, "retry", note_wait)
    zoom.throttle(retry_after="7")
    consent(child_a, guardian_a)
    call = book(pupil_ids=[child_a.pk])

    assert waits == [7.0]
    assert len(zoom.meetings) == 1
    assert len(zoom.creates()) == 2  # the throttled one and the one that made it
    row = row_for(call)
    assert row.state == HostedMeeting.State.CREATED
    assert row.attempts == 2


@pytest.mark.policy("CALL-6")
def test_a_lost_response_or_killed_worker_does_not_make_a_second_meeting(zoom, book, child_a, guardian_a):
    zoom.lose_next_create = True  # Zoom made it, the answer never arrived (or the worker died)
    consent(child_a, guardian_a)
    call = book(pupil_ids=[child_a.pk])

    assert len(zoom.meetings) == 1
    assert len(zoom.creates()) == 1
    row = row_for(call)
    assert row.state == HostedMeeting.State.CREATED
    assert row.external_id == next(iter(zoom.meetings))
    # And again, as a duplicate task delivery would: nothing new.
    hosted.create(row.meeting_id)
    assert len(zoom.meetings) == 1


def test_spent_retries_show_the_call_as_not_created_and_the_join_email_waits(
    zoom, book, child_a, guardian_a, teacher, head, client
):
    for _ in range(10):
        zoom.failures.append((503, {"Retry-After": "1"}))
    consent(child_a, guardian_a)
    call = book(pupil_ids=[child_a.pk])

    row = row_for(call)
    assert row.state == HostedMeeting.State.FAILED
    assert zoom.meetings == {}
    assert outbox("call-join", to=guardian_a.email) == []
    from calls.meetings import platform_meeting_status

    assert "could not be created" in platform_meeting_status(call)
    from django.urls import reverse

    for person in (teacher, head):  # the host and the head both see it on the call page
        client.force_login(person)
        with time_machine.travel(BOOKED_AT, tick=False):
            page = client.get(reverse("calls:detail", args=[call.pk])).content.decode()
        assert "The Zoom meeting could not be created" in page
    # The platform recovers; the sweep (or the head) asks again, then the email goes.
    zoom.failures.clear()
    HostedMeeting.objects.filter(pk=row.pk).update(state=HostedMeeting.State.CREATING)
    with time_machine.travel(BOOKED_AT, tick=False):
        hosted.create(row.meeting_id)
    assert len(outbox("call-join", to=guardian_a.email)) == 1


@pytest.mark.policy("COM-4")
def test_the_family_enters_through_the_portal_link_and_is_handed_the_zoom_url(zoom, group_call, guardian_a):
    token = join_token(outbox("call-join", to=guardian_a.email)[-1])
    assert "zoom.us" not in outbox("call-join", to=guardian_a.email)[-1].body_text

    outcome = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))

    assert outcome.allowed is True
    # The child's own registrant address (registered under this parent's email), not the meeting's.
    registrant = zoom.registrants[row_for(group_call).external_id][guardian_a.email.lower()]
    assert outcome.platform_url == registrant["join_url"] != row_for(group_call).join_url


@pytest.mark.policy("CALL-6")
def test_a_changed_setting_is_drift_and_children_wait(zoom, group_call, guardian_a):
    row = row_for(group_call)
    zoom.meetings[row.external_id]["settings"]["waiting_room"] = False
    zoom.users["teacher@example.test"]["in_meeting"]["private_chat"] = True

    drifts = hosted.check_drift(row.meeting_id, now=JOIN_AT)
    token = join_token(outbox("call-join", to=guardian_a.email)[-1])
    outcome = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))

    assert {(d.setting, d.expected, d.actual) for d in drifts} == {
        ("waiting_room", "on", "off"),
        ("Private chat between participants", "off", "on"),
    }
    assert row_for(group_call).drift[0]["setting"] == "waiting_room"
    assert outcome.allowed is False
    assert outcome.reason == SETTINGS_NEED_CHECKING


def test_no_drift_when_zoom_matches_the_policy(zoom, group_call):
    assert hosted.check_drift(row_for(group_call).meeting_id, now=JOIN_AT) == []


@pytest.mark.policy("LOG-1")
def test_attendance_fills_the_session_log_prefill(zoom, group_call, child_a, teacher):
    row = row_for(group_call)
    zoom.participants[row.external_id] = [
        {
            "id": "p1",
            "user_id": "16778240",
            "name": "Tara Teacher",
            "user_email": "teacher@example.test",
            "join_time": "2026-11-10T09:58:00Z",
            "leave_time": "2026-11-10T10:31:00Z",
            "duration": 1980,
            "status": "in_meeting",
        },
        {
            "id": "p2",
            "user_id": "16779264",
            "name": "Amelia Adams",
            "user_email": "",
            "join_time": "2026-11-10T10:01:00Z",
            "leave_time": "2026-11-10T10:29:00Z",
            "duration": 1680,
            "status": "in_meeting",
        },
    ]

    hosted.read_attendance(row.meeting_id, now=TUESDAY_10 + dt.timedelta(hours=1))

    report = MeetingReport.objects.get(meeting_id=row.meeting_id)
    assert report.call_ref == str(group_call.pk)
    assert sorted(a["full_name"] for a in report.attendees) == ["Amelia Adams", "Tara Teacher"]
    assert report.started_at == dt.datetime(2026, 11, 10, 9, 58, tzinfo=dt.UTC)
    assert report.ended_at == dt.datetime(2026, 11, 10, 10, 31, tzinfo=dt.UTC)
    # Names matched to the people invited: the log's pre-fill ticks the child and the host.
    assert report.pupil_ids() == [child_a.pk]
    assert report.staff_user_ids() == [teacher.pk]
    from sessionlogs.selectors import prefill_for

    prefill = prefill_for(group_call, [child_a])
    assert prefill.from_platform is True
    assert prefill.started_at == report.started_at
    assert row_for(group_call).attendance_read_at is not None


def test_the_token_is_cached_and_refreshed_when_zoom_revokes_it(zoom, group_call):
    cache.clear()  # the booking ran at another (travelled) time
    zoom.token_requests = 0
    adapter = get_adapter(ZOOM)
    adapter.meeting_info(row_for(group_call).external_id)
    adapter.meeting_info(row_for(group_call).external_id)
    assert zoom.token_requests == 1
    zoom.tokens.clear()  # revoked early
    assert adapter.meeting_info(row_for(group_call).external_id) is not None
    assert zoom.token_requests == 2
    assert get_adapter(ZOOM).meeting_info(row_for(group_call).external_id) is not None  # a new adapter, same cache
    assert zoom.token_requests == 2


def test_zoom_is_offered_only_with_credentials(settings, zoom):
    assert ZOOM in configured_platforms()
    settings.PORTAL_ZOOM_CLIENT_SECRET = ""
    assert ZOOM not in configured_platforms()
    assert get_adapter(ZOOM).applies_settings is False  # back to the manual checklist


def test_the_secret_can_come_from_a_file(settings, zoom, tmp_path, monkeypatch):
    path = tmp_path / "zoom-secret"
    path.write_text(fake_zoom.CLIENT_SECRET + "\n")
    monkeypatch.delenv("PORTAL_ZOOM_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("PORTAL_ZOOM_CLIENT_SECRET_FILE", str(path))
    # As egps_portal/settings/base.py reads it at start-up (tests/deploy proves the settings do).
    settings.PORTAL_ZOOM_CLIENT_SECRET = PortalEnv().str("PORTAL_ZOOM_CLIENT_SECRET", default="").strip()
    adapter = get_adapter(ZOOM)
    assert isinstance(adapter, ZoomAdapter)
    assert adapter.meeting_info("1") is None  # authenticated (404 for the meeting, not 400 for the token)


def test_a_missing_secret_file_is_an_error_at_start_up_not_at_the_first_call(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_ZOOM_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("PORTAL_ZOOM_CLIENT_SECRET_FILE", str(tmp_path / "nope"))

    with pytest.raises(ImproperlyConfigured, match="PORTAL_ZOOM_CLIENT_SECRET_FILE=.* cannot be read"):
        PortalEnv().str("PORTAL_ZOOM_CLIENT_SECRET", default="")


def test_retry_after_as_seconds_or_date_and_bounded():
    now = dt.datetime(2026, 11, 10, 10, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("Tue, 10 Nov 2026 10:00:30 GMT", now=now) == 30
    assert retry_after_seconds("999999") == 900
    assert retry_after_seconds("soon") == 30
    assert isinstance(RetryLater("x"), PlatformError)


def test_the_head_chooses_zoom_only_when_its_credentials_are_set(client, head, settings, zoom):
    from school.models import SchoolSettings

    choose_platform("")
    response = settings_post(client, head, video_platform="zoom")
    assert response.status_code == 302
    assert SchoolSettings.objects.get().video_platform == "zoom"

    settings.PORTAL_TEAMS_TENANT_ID = ""
    response = settings_post(client, head, video_platform="teams")
    assert response.status_code == 200
    assert "Microsoft Teams is not set up for this portal yet" in response.content.decode()
    assert SchoolSettings.objects.get().video_platform == "zoom"


def test_a_zoom_call_stays_manual_when_the_school_has_not_chosen_zoom(zoom, book, child_a, guardian_a):
    choose_platform("")
    consent(child_a, guardian_a)
    call = book(pupil_ids=[child_a.pk], meeting_url="https://zoom.us/j/123?pwd=pasted")

    assert zoom.requests == []
    assert not HostedMeeting.objects.exists()
    token = join_token(outbox("call-join", to=guardian_a.email)[-1])
    outcome = gateway.open_join_link(token=token, now=JOIN_AT, holder=family_holder(token))
    assert outcome.platform_url == call.meeting_url


def test_platform_check_runs_the_real_calls_and_says_what_it_cannot_verify(zoom, settings, teacher):
    import io

    from django.core.management import call_command

    settings.PORTAL_ZOOM_DEFAULT_HOST = teacher.email
    out = io.StringIO()
    call_command("platform_check", "zoom", stdout=out)

    text = out.getvalue()
    assert "zoom: OK: read back, every enforceable setting matches the policy." in text
    assert "zoom: NOT VERIFIED: Renaming locked" in text
    assert len(zoom.creates()) == 1
    assert zoom.meetings == {}  # the test meeting was deleted


def test_platform_check_reports_drift_as_a_failure(zoom, settings, teacher):
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.PORTAL_ZOOM_DEFAULT_HOST = teacher.email
    zoom.users[teacher.email]["in_meeting"]["who_can_share_screen"] = "all"
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("platform_check", "zoom", stdout=out)
    assert "DRIFT: Who can share the screen: asked host, platform has all" in out.getvalue()


@pytest.mark.policy("CALL-6")
def test_the_call_page_lists_only_what_zoom_cannot_enforce_for_the_host(client, zoom, group_call, teacher):
    from django.urls import reverse

    client.force_login(teacher)
    with time_machine.travel(JOIN_AT, tick=False):
        page = client.get(reverse("calls:detail", args=[group_call.pk])).content.decode()

    assert "The Zoom meeting is ready." in page
    assert "waiting_room" in page  # the applied list names the Zoom field
    by_hand = page.split("Still for the host, by hand")[1]
    assert "Participants named by their real name, renaming locked" in by_hand
    assert "Waiting room (lobby) on" not in by_hand


@pytest.mark.policy("CALL-5")
def test_moving_the_call_moves_the_same_zoom_meeting(zoom, group_call, teacher, django_capture_on_commit_callbacks):
    row = row_for(group_call)
    with time_machine.travel(BOOKED_AT, tick=False), django_capture_on_commit_callbacks(execute=True):
        booking.change_call_time(
            call=group_call, changed_by=teacher, now=BOOKED_AT, starts_at=TUESDAY_10 + dt.timedelta(hours=1), duration_minutes=45
        )

    meeting = zoom.meetings[row.external_id]
    assert len(zoom.meetings) == 1
    assert meeting["start_time"] == "2026-11-10T11:00:00Z"
    assert meeting["duration"] == 45
    assert meeting["settings"]["waiting_room"] is True


@pytest.mark.policy("COM-2")
def test_cancelling_the_call_deletes_the_zoom_meeting(zoom, group_call, teacher, django_capture_on_commit_callbacks):
    row = row_for(group_call)
    with django_capture_on_commit_callbacks(execute=True):
        booking.cancel_call(call=group_call, cancelled_by=teacher, now=BOOKED_AT, reason="Staff training.")

    assert zoom.meetings == {}
    row.refresh_from_db()
    assert row.state == HostedMeeting.State.FAILED
    assert row.join_url == ""
    from calls.meetings import platform_meeting_status

    assert "The call was cancelled." in platform_meeting_status(group_call)


def test_platform_check_from_the_command_line_refuses_an_unknown_platform():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown platform 'webex'"):
        call_command("platform_check", "webex", skip_checks=False)


# --- Per-person joins: one Zoom registrant per invited child ----------------------------------


def _join_page(client, guardian):
    """The family presses Join on the portal's own link (the gateway), signed in as themselves."""
    import html

    from django.urls import reverse

    client.force_login(guardian.user)
    with time_machine.travel(JOIN_AT, tick=False):
        response = client.post(reverse("calls:join", args=[join_token(outbox("call-join", to=guardian.email)[-1])]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _platform_link(page: str) -> str:
    import re

    found = re.search(r'href="([^"]+)" rel="noopener noreferrer" data-testid="platform-link"', page)
    return found.group(1) if found else ""


@pytest.fixture
def two_families(zoom, book, child_a, guardian_a, child_b, guardian_b):
    consent(child_a, guardian_a)
    consent(child_b, guardian_b)
    return book(pupil_ids=[child_a.pk, child_b.pk])


@pytest.mark.policy("CALL-6")
@pytest.mark.policy("COM-4")
def test_booking_registers_each_child_under_their_parents_address_and_real_name(
    zoom, two_families, child_a, guardian_a, child_b, guardian_b
):
    row = row_for(two_families)
    posts = zoom.registrant_posts()

    assert sorted(posts, key=lambda body: body["email"]) == [
        {"email": guardian_a.email, "first_name": "Amelia", "last_name": "Adams"},
        {"email": guardian_b.email, "first_name": "Ben", "last_name": "Brown"},
    ]
    assert [path for method, path, _ in zoom.requests if path.endswith("/registrants")] == [
        f"/v2/meetings/{row.external_id}/registrants"
    ] * 2
    stored = {r.person: r for r in row.registrants.all()}
    for pupil, guardian in ((child_a, guardian_a), (child_b, guardian_b)):
        registrant = stored[f"pupil-{pupil.pk}"]
        zoomed = zoom.registrants[row.external_id][guardian.email.lower()]
        assert registrant.state == "registered"
        assert registrant.registrant_id == zoomed["id"]
        assert registrant.join_url == zoomed["join_url"]


@pytest.mark.policy("CALL-6")
@pytest.mark.policy("CON-1")
def test_each_family_is_handed_its_own_childs_zoom_address_through_the_gateway(
    client, zoom, two_families, guardian_a, guardian_b
):
    meeting = row_for(two_families).external_id

    link_a = _platform_link(_join_page(client, guardian_a))
    link_b = _platform_link(_join_page(client, guardian_b))

    assert link_a == zoom.registrant_by_url(meeting, link_a)["join_url"]
    assert zoom.registrant_by_url(meeting, link_a)["first_name"] == "Amelia"
    assert zoom.registrant_by_url(meeting, link_b)["first_name"] == "Ben"
    assert link_a != link_b
    assert row_for(two_families).join_url not in (link_a, link_b)  # never the meeting's own address
    assert "zoom.us" not in outbox("call-join", to=guardian_a.email)[-1].body_text


@pytest.mark.policy("CALL-6")
def test_a_429_while_registering_then_success_gives_exactly_one_registrant_each(
    zoom, book, monkeypatch, child_a, guardian_a, child_b, guardian_b
):
    from platforms import tasks

    waits = []
    real_retry = tasks.sync_hosted_registrants.retry

    def note_wait(*args, **kwargs):
        waits.append(kwargs.get("countdown"))
        return real_retry(*args, **kwargs)

    monkeypatch.setattr(tasks.sync_hosted_registrants, "retry", note_wait)
    zoom.failures_for.append(("/registrants", 429, {"Retry-After": "4"}))  # the first registration is throttled
    consent(child_a, guardian_a)
    consent(child_b, guardian_b)

    call = book(pupil_ids=[child_a.pk, child_b.pk])
    # A duplicate delivery of the task afterwards changes nothing.
    tasks.sync_hosted_registrants.delay(row_for(call).meeting_id)

    row = row_for(call)
    assert 4.0 in waits
    assert len(zoom.registrants[row.external_id]) == 2
    assert sorted(r.state for r in row.registrants.all()) == ["registered", "registered"]
    assert len({r.registrant_id for r in row.registrants.all()}) == 2


@pytest.mark.policy("CALL-6")
def test_a_lost_registration_answer_is_mended_by_zoom_answering_the_same_registrant(zoom, group_call, guardian_a):
    from platforms import registrants
    from platforms.models import HostedRegistrant

    row = row_for(group_call)
    first = row.registrants.get()
    HostedRegistrant.objects.filter(pk=first.pk).update(state="pending", registrant_id="", join_url="")  # answer lost

    registrants.sync(row.meeting_id)

    again = row.registrants.get()
    assert again.registrant_id == first.registrant_id
    assert again.join_url == first.join_url
    assert len(zoom.registrants[row.external_id]) == 1


@pytest.mark.policy("LOG-1")
def test_attendance_matches_children_by_registrant_id_before_names(zoom, two_families, child_a, child_b, teacher):
    row = row_for(two_families)
    by_email = zoom.registrants[row.external_id]
    zoom.participants[row.external_id] = [
        {"id": "p1", "user_id": "1", "name": "Tara Teacher", "user_email": "teacher@example.test",
         "join_time": "2026-11-10T09:58:00Z", "leave_time": "2026-11-10T10:31:00Z", "duration": 1980, "status": "in_meeting"},
        # The child typed a nickname: the registrant id still says who it is.
        {"id": "", "user_id": "2", "name": "Millie", "user_email": "", "registrant_id": by_email["parent-a@example.test"]["id"],
         "join_time": "2026-11-10T10:01:00Z", "leave_time": "2026-11-10T10:29:00Z", "duration": 1680, "status": "in_meeting"},
        # Someone else typed Ben's name without his registrant link: not ticked as Ben by the registrant.
        {"id": "", "user_id": "3", "name": "Someone", "user_email": "", "registrant_id": "not-a-registrant",
         "join_time": "2026-11-10T10:02:00Z", "leave_time": "2026-11-10T10:03:00Z", "duration": 60, "status": "in_meeting"},
    ]  # fmt: skip

    hosted.read_attendance(row.meeting_id, now=TUESDAY_10 + dt.timedelta(hours=1))

    report = MeetingReport.objects.get(meeting_id=row.meeting_id)
    assert report.pupil_ids() == [child_a.pk]  # Ben did not come
    assert report.staff_user_ids() == [teacher.pk]  # by name, the fallback
    past = [(m, p) for m, p, _ in zoom.requests if p.endswith("/participants")]
    assert past == [("GET", f"/v2/past_meetings/{row.external_id}/participants")]


@pytest.mark.policy("CON-3")
def test_withdrawn_consent_cancels_the_childs_registrant_and_the_gateway_refuses(
    client, zoom, two_families, child_a, guardian_a, django_capture_on_commit_callbacks
):
    from consent.choices import Scope
    from consent.services import withdraw_consent

    row = row_for(two_families)
    registrant = row.registrants.get(person=f"pupil-{child_a.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=BOOKED_AT)

    cancels = [body for method, path, body in zoom.requests if path.endswith("/registrants/status")]
    assert cancels == [{"action": "cancel", "registrants": [{"id": registrant.registrant_id, "email": guardian_a.email}]}]
    assert zoom.registrants[row.external_id][guardian_a.email.lower()]["status"] == "cancelled"
    registrant.refresh_from_db()
    assert (registrant.state, registrant.join_url) == ("cancelled", "")
    page = _join_page(client, guardian_a)
    assert _platform_link(page) == ""


@pytest.mark.policy("COM-2")
def test_cancelling_the_call_forgets_every_childs_address(zoom, two_families, teacher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking.cancel_call(call=two_families, cancelled_by=teacher, now=BOOKED_AT, reason="Staff training.")

    assert set(row_for(two_families).registrants.values_list("join_url", flat=True)) == {""}


def test_a_registration_with_a_misspelt_field_is_refused_by_the_fake_as_by_zoom(zoom, group_call):
    adapter = get_adapter(ZOOM)
    meeting = row_for(group_call).external_id
    with pytest.raises(PlatformError, match=r"HTTP 400.*Invalid field: firstname"):
        adapter._call("POST", f"/meetings/{meeting}/registrants", json={"email": "x@example.test", "firstname": "X"})
    with pytest.raises(PlatformError, match=r"first_name is required"):
        adapter._call("POST", f"/meetings/{meeting}/registrants", json={"email": "x@example.test"})
    with pytest.raises(PlatformError, match=r"Invalid action"):
        adapter.set_registrants_status(meeting, "remove", [("id", "x@example.test")])


# --- CALL-3 on Zoom: two staff present before the child of a one-to-one is let through -------------


@pytest.fixture
def zoom_one_to_one(zoom, book, child_a, guardian_a, head):
    from calls.choices import CallStatus

    consent(child_a, guardian_a)
    call = book(kind=CallKind.ONE_TO_ONE, title="Reading one-to-one", pupil_ids=[child_a.pk])
    with time_machine.travel(BOOKED_AT, tick=False):
        one_to_ones.record_parent_agreement(call=call, guardian=guardian_a, decided_by=guardian_a.user, now=BOOKED_AT, agree=True)
        one_to_ones.approve_call(call=call, approver=head, now=BOOKED_AT)
    call.refresh_from_db()
    assert call.status == CallStatus.SCHEDULED
    return call


@pytest.mark.policy("CALL-3")
def test_a_zoom_one_to_one_makes_the_child_wait_until_both_staff_are_in(
    client, zoom, zoom_one_to_one, teacher, dsl, guardian_a, child_a
):
    meeting = row_for(zoom_one_to_one).external_id
    own = row_for(zoom_one_to_one).registrants.get(person=f"pupil-{child_a.pk}").join_url

    before = _join_page(client, guardian_a)  # nobody has started the meeting
    zoom.start_meeting(meeting, [{"user_name": "Tara Teacher", "email": teacher.email, "status": "in_meeting"}])
    host_only = _join_page(client, guardian_a)
    zoom.live[meeting] += [
        # Someone typing the second teacher's name, without her school account, is not her.
        {"user_name": dsl.get_full_name(), "email": "", "status": "in_meeting", "leave_time": ""},
        # She is still in the waiting room: not in the meeting yet.
        {"user_name": dsl.get_full_name(), "email": dsl.email, "status": "in_waiting_room", "leave_time": ""},
    ]
    impostor = _join_page(client, guardian_a)
    zoom.live[meeting].append({"user_name": dsl.get_full_name(), "email": dsl.email, "status": "in_meeting", "leave_time": ""})
    both = _join_page(client, guardian_a)

    for page in (before, host_only, impostor):
        assert "not ready yet" in page
        assert _platform_link(page) == ""
    assert _platform_link(both) == own
    live = [(m, p) for m, p, _ in zoom.requests if p.startswith("/v2/metrics/")]
    assert live == [("GET", f"/v2/metrics/meetings/{meeting}/participants")] * 3  # not asked before the start


@pytest.mark.policy("CALL-3")
def test_without_the_dashboard_api_zoom_falls_back_to_the_waiting_room_and_checklist(
    client, zoom, zoom_one_to_one, teacher, guardian_a
):
    meeting = row_for(zoom_one_to_one).external_id
    zoom.dashboard = False  # a Pro account: 400 "No permission."
    zoom.start_meeting(meeting, [{"user_name": "Tara Teacher", "email": teacher.email, "status": "in_meeting"}])

    page = _join_page(client, guardian_a)

    assert "not ready yet" not in page
    assert _platform_link(page) == row_for(zoom_one_to_one).registrants.get().join_url  # the waiting room holds the child
