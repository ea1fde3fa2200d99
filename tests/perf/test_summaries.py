"""Cached pages are never stale after a write (issue 22): write through a service, read again.

Each story opens a page as the person who uses it, opens it again to prove the second answer came
from the cache (no template was drawn: `response.context` is None), changes what the page counts
through the service that changes it, and opens the page a third time: the change shows.

The data version itself (toolkit/versions.py) is proven on PostgreSQL: every counted table has
the trigger, every kind of write moves the number, sessions and the audit log do not.
"""

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings

from calls.choices import CallKind, Platform
from calls.services import booking, calendar_feeds, one_to_ones
from consent.choices import Scope
from consent.services import give_consent, withdraw_consent
from safeguarding.choices import ConcernKind
from safeguarding.services import raise_concern
from school.models import Pupil
from tests.calls.conftest import LONDON
from toolkit import versions

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the data version lives in PostgreSQL triggers")

NOW = dt.datetime(2026, 11, 9, 8, 0, tzinfo=LONDON)
TUESDAY_10 = dt.datetime(2026, 11, 10, 10, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _school_settings(db):
    """The settings row a school always has (made on first use: a write, which would move the version)."""
    from school.models import SchoolSettings

    SchoolSettings.load()


def drawn(client, path) -> str:
    """The page, drawn now (not from the cache)."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.context is not None, f"{path} came from the cache where it had to be drawn"
    return response.content.decode()


def cached(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200
    assert response.context is None, f"{path} was drawn again with nothing changed: it is not cached"
    return response.content.decode()


def open_twice(client, path) -> str:
    first = drawn(client, path)
    assert cached(client, path) == first
    return first


def book(teacher, dsl, **changes):
    facts = dict(
        booked_by=teacher,
        now=NOW,
        kind=CallKind.GROUP,
        title="Year 3 maths",
        activity="Counting games together.",
        platform=Platform.MICROSOFT_TEAMS,
        starts_at=TUESDAY_10,
        duration_minutes=30,
        host=teacher,
        second_staff=dsl,
        single_staff_reason="",
        record=False,
        pupil_ids=[],
        meeting_url="https://teams.example.test/meet/abc",
        passcode="s3cret-pass",
    )
    return booking.book_call(**{**facts, **changes})


# --- the data version -----------------------------------------------------------------------


@pytest.mark.django_db
def test_every_table_of_every_model_carries_the_trigger():
    assert versions.tables_without_trigger() == []
    assert "calls_call" in versions.counted_tables()
    assert "django_session" not in versions.counted_tables()


@pytest.mark.django_db
def test_insert_update_delete_each_move_the_version(child_a, class_a):
    steps = [
        lambda: Pupil.objects.filter(pk=child_a.pk).update(first_name="Ada"),  # a bulk update, no signals
        lambda: Pupil.objects.create(
            first_name="New", last_name="Pupil", mis_id="NEW-2", school_class=class_a, date_of_birth=dt.date(2019, 1, 1)
        ),
        lambda: Pupil.objects.filter(mis_id="NEW-2").delete(),
    ]
    for step in steps:
        before = versions.current()
        with transaction.atomic():
            step()
        assert versions.current() > before


@pytest.mark.django_db
def test_sessions_and_the_audit_log_do_not_move_it(client, teacher):
    client.force_login(teacher)
    before = versions.current()
    session = client.session
    session["anything"] = 1
    session.save()
    assert versions.current() == before


def _health_check_due():
    """As at the start of a request on a reused connection with CONN_HEALTH_CHECKS on."""
    connection.health_check_enabled, connection.health_check_done = True, False


@pytest.mark.django_db
def test_the_health_check_of_a_reused_connection_reads_the_version_for_the_request(child_a, django_assert_num_queries):
    _health_check_due()
    with django_assert_num_queries(0):  # read by the health check itself, through the driver
        checked = versions.current()
    assert checked == versions.current()  # read afresh (no check due): the same number

    Pupil.objects.filter(pk=child_a.pk).update(first_name="Ada")
    assert versions.current() > checked  # no check due: never the number an earlier check read
    _health_check_due()
    assert versions.current() == versions.current() > checked  # a new check reads the new number


# --- write, then read ----------------------------------------------------------------------


@pytest.mark.django_db
def test_head_dashboard_counts_an_approval_as_soon_as_the_parent_agrees(
    client, head, teacher, dsl, child_a, guardian_a, parent_a, school_week
):
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=NOW)
    call = book(teacher, dsl, kind=CallKind.ONE_TO_ONE, title="Reading one-to-one", pupil_ids=[child_a.pk])
    client.force_login(head)
    page = open_twice(client, "/")
    assert 'data-testid="needs-you-approvals" data-count="0"' in page
    one_to_ones.record_parent_agreement(call=call, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=True)
    assert 'data-testid="needs-you-approvals" data-count="1"' in drawn(client, "/")


@pytest.mark.django_db
def test_parent_pages_follow_a_withdrawal_at_once(client, teacher, dsl, child_a, guardian_a, parent_a, school_week):
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=NOW)
    book(teacher, dsl, pupil_ids=[child_a.pk], title="Forest school")
    client.force_login(parent_a)
    assert "Forest school" in open_twice(client, "/calls/family/")
    consent_page = open_twice(client, "/consent/")
    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=parent_a, now=NOW)
    assert "Forest school" not in drawn(client, "/calls/family/")
    assert drawn(client, "/consent/") != consent_page


@pytest.mark.django_db
def test_staff_call_list_and_booking_form_show_a_new_call_and_a_new_pupil(
    client, teacher, dsl, class_a, child_a, guardian_a, school_week
):
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=NOW)
    client.force_login(teacher)
    assert "Forest school" not in open_twice(client, "/calls/?past=on")
    open_twice(client, "/calls/book/")
    book(teacher, dsl, title="Forest school", pupil_ids=[child_a.pk])
    assert "Forest school" in drawn(client, "/calls/?past=on")
    Pupil.objects.create(
        first_name="Newly", last_name="Arrived", mis_id="NEW-1", school_class=class_a, date_of_birth=dt.date(2019, 1, 1)
    )
    assert "Newly" in drawn(client, "/calls/book/")


@pytest.mark.django_db
def test_dsl_dashboard_shows_a_new_concern_at_once(client, dsl, teacher, child_a, school_week):
    client.force_login(dsl)
    open_twice(client, "/safeguarding/")
    home = open_twice(client, "/")
    raise_concern(
        reported_by=teacher,
        pupils=[child_a],
        kind=ConcernKind.SEEN_OR_HEARD,
        happened_at=NOW - dt.timedelta(hours=1),
        what_happened="Seemed upset on the call.",
        action_taken="Told the DSL.",
        now=NOW,
    )
    assert child_a.first_name in drawn(client, "/safeguarding/")
    assert drawn(client, "/") != home


@pytest.mark.django_db
def test_calendar_feed_follows_a_booking(client, teacher, dsl, child_a, guardian_a, school_week):
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=NOW)
    token = calendar_feeds.issue_calendar_feed(user=teacher, now=NOW)
    path = f"/calls/calendar/{token}.ics"
    first = client.get(path).content
    assert client.get(path).content == first
    book(teacher, dsl, title="Forest school", pupil_ids=[child_a.pk])
    assert b"Forest school" in client.get(path).content


@pytest.mark.django_db
def test_a_page_is_never_shared_between_two_sign_ins(client, teacher, teacher_b, school_week):
    client.force_login(teacher)
    open_twice(client, "/")
    client.force_login(teacher_b)  # a new session: drawn for this person
    assert teacher_b.email in drawn(client, "/")


@pytest.mark.django_db
def test_a_message_waiting_is_shown_not_a_cached_page(rf, teacher):
    from django.contrib.messages import add_message, constants
    from django.contrib.messages.storage.session import SessionStorage
    from django.contrib.sessions.backends.db import SessionStore

    from toolkit import summaries

    request = rf.get("/calls/")
    request.user, request.session = teacher, SessionStore()
    request.session.save()
    request._messages = SessionStorage(request)
    assert summaries.key_for(request, "call list") is not None
    add_message(request, constants.SUCCESS, "Booked.")
    assert summaries.key_for(request, "call list") is None  # base.html must show it: draw the page


@pytest.mark.django_db
def test_a_settings_change_in_a_test_draws_pages_again(client, teacher, school_week):
    client.force_login(teacher)
    open_twice(client, "/")
    with override_settings(PORTAL_DEMO_MODE=True):
        assert "Demo school" in drawn(client, "/")


@pytest.mark.django_db
def test_nothing_is_cached_for_a_post(client, teacher, school_week):
    client.force_login(teacher)
    open_twice(client, "/calls/book/")
    response = client.post("/calls/book/", {"title": ""})
    assert response.status_code == 200
    assert response.context is not None


@pytest.mark.django_db
def test_reading_a_concern_keeps_everyone_elses_pages(client, dsl, teacher, child_a, school_week):
    """Each reading of a concern is recorded (SG-3); that record is shown only on pages never
    cached, so it does not throw away the school's cached pages."""
    concern = raise_concern(
        reported_by=teacher,
        pupils=[child_a],
        kind=ConcernKind.SEEN_OR_HEARD,
        happened_at=NOW - dt.timedelta(hours=1),
        what_happened="Seemed upset on the call.",
        action_taken="Told the DSL.",
        now=NOW,
    )
    client.force_login(dsl)
    open_twice(client, "/safeguarding/")
    before = versions.current()
    assert client.get(f"/safeguarding/concerns/{concern.pk}/").status_code == 200
    assert concern.accesses.count() == 1  # recorded...
    assert versions.current() == before  # ...without moving the version
    cached(client, "/safeguarding/")


@pytest.mark.django_db
def test_the_signed_in_person_is_loaded_again_after_any_change_to_them(client, teacher, school_week):
    """accounts.middleware keeps the person per data version: a role taken away or an account
    deactivated shows on the very next page."""
    from accounts.models import StaffRole

    client.force_login(teacher)
    assert client.get("/calls/").status_code == 200
    assert client.get("/calls/").status_code == 200  # the kept person
    StaffRole.objects.filter(user=teacher).delete()
    assert client.get("/calls/").status_code in (302, 403)
    teacher.is_active = False
    teacher.save()
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_school_settings_are_read_again_after_a_change(client, teacher, school_week):
    from school.models import SchoolSettings

    client.force_login(teacher)
    assert "Renamed Primary" not in client.get("/").content.decode()
    SchoolSettings.objects.filter(pk=1).update(name="Renamed Primary")  # even without save()
    assert "Renamed Primary" in client.get("/").content.decode()


def test_kept_values_follow_the_version(monkeypatch):
    seen = iter([1, 1, 2])
    monkeypatch.setattr(versions, "remembered", lambda: next(seen))
    monkeypatch.setattr(versions, "unchanged_since", lambda version: True)
    kept, built = versions.PerVersion(most=1), []

    def build():
        built.append(1)
        return len(built)

    assert [kept.get("k", build), kept.get("k", build), kept.get("k", build)] == [1, 1, 2]


def test_a_value_built_after_a_write_is_not_kept(monkeypatch):
    monkeypatch.setattr(versions, "remembered", lambda: 7)
    monkeypatch.setattr(versions, "unchanged_since", lambda version: False)  # this request wrote
    kept, built = versions.PerVersion(), []
    kept.get("k", lambda: built.append(1) or len(built))
    kept.get("k", lambda: built.append(1) or len(built))
    assert len(built) == 2


@pytest.mark.django_db
def test_while_one_request_draws_the_new_minute_the_others_get_the_latest_drawing(client, teacher):
    from django.core.cache import cache

    from toolkit import summaries

    client.force_login(teacher)
    open_twice(client, "/calls/")
    with time_machine.travel(NOW + dt.timedelta(minutes=3), tick=False):
        response = client.get("/calls/")  # this one draws the new minute
        request, latest = response.wsgi_request, response.content.decode()
    with time_machine.travel(NOW + dt.timedelta(minutes=4), tick=False):
        drawing = summaries.key_for(request, "call list") + ":drawing"
        cache.add(drawing, 1, 10)  # another request is drawing this minute's page right now
        assert cached(client, "/calls/") == latest  # same data version: its latest drawing, not a second drawing
        cache.delete(drawing)
        drawn(client, "/calls/")
    with time_machine.travel(NOW + dt.timedelta(minutes=12), tick=False):
        cache.add(summaries.key_for(request, "call list") + ":drawing", 1, 10)
        drawn(client, "/calls/")  # the latest drawing is too old by the clock: drawn again


def _concern(teacher, pupil):
    return raise_concern(
        reported_by=teacher,
        pupils=[pupil],
        kind=ConcernKind.SEEN_OR_HEARD,
        happened_at=NOW - dt.timedelta(hours=1),
        what_happened="Seemed upset on the call.",
        action_taken="Told the DSL.",
        now=NOW,
    )


@pytest.mark.policy("SG-3")
@pytest.mark.django_db
def test_a_kept_concern_page_still_records_every_reading_and_shows_it(client, dsl, teacher, child_a, school_week):
    concern = _concern(teacher, child_a)
    client.force_login(dsl)
    path = f"/safeguarding/concerns/{concern.pk}/"
    first = client.get(path)
    assert "entries" in first.context  # drawn
    second = client.get(path)
    assert "entries" not in second.context  # the page came from the cache...
    assert "accesses" in second.context  # ...its access record was drawn now
    assert concern.accesses.count() == 2
    record = second.content.decode().split('data-testid="access-record"', 1)[1].split("</table>", 1)[0]
    assert record.count("<tr>") == 1 + 2  # the header row and both readings, this one included


@pytest.mark.policy("SG-3")
@pytest.mark.django_db
def test_a_kept_chronology_still_records_every_reading(client, dsl, teacher, child_a, school_week):
    from safeguarding.choices import AccessPurpose
    from safeguarding.models import ConcernAccess

    concern = _concern(teacher, child_a)
    client.force_login(dsl)
    path = f"/safeguarding/pupils/{child_a.pk}/"
    assert "Seemed upset" in open_twice(client, path)
    assert ConcernAccess.objects.filter(concern=concern, user=dsl, purpose=AccessPurpose.CHRONOLOGY).count() == 2


def _access_caption(response) -> str:
    record = response.content.decode().split('data-testid="access-record"', 1)[1]
    return " ".join(record.split("<caption>", 1)[1].split("</caption>", 1)[0].split())


@pytest.mark.policy("SG-3")
@pytest.mark.django_db
def test_a_kept_concern_page_counts_its_reads_up_to_a_bound_in_a_fixed_number_of_queries(
    client, dsl, teacher, child_a, school_week, django_assert_num_queries
):
    from safeguarding.models import ConcernAccess

    concern = _concern(teacher, child_a)
    earlier = [ConcernAccess(concern=concern, user=teacher, at=NOW - dt.timedelta(minutes=n)) for n in range(1, 30)]
    ConcernAccess.objects.bulk_create(earlier)
    client.force_login(dsl)
    path = f"/safeguarding/concerns/{concern.pk}/"
    client.get(path)  # drawn and kept

    # The version (the person is kept for it), the concern, the reading recorded, the access
    # record with its count: whatever the number of reads.
    with django_assert_num_queries(4):
        kept = client.get(path)
    assert "entries" not in kept.context
    assert "the latest 20 of 31 reads, newest first" in _access_caption(kept)

    ConcernAccess.objects.bulk_create(
        ConcernAccess(concern=concern, user=teacher, at=NOW - dt.timedelta(days=1, minutes=n)) for n in range(1000)
    )
    with django_assert_num_queries(4):
        kept = client.get(path)
    assert "the latest 20 of more than 1000 reads" in _access_caption(kept)
    assert concern.accesses.count() == 1032
