"""The directory sync against a fake Wonde served over real HTTP (tests/school/fake_wonde.py):
the portal's own client (requests) pages, includes, waits out 429s and survives failures."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.choices import Role
from accounts.models import User
from calls.models import Call, CallInvitation
from egps_portal.envfiles import PortalEnv
from notifications.models import OutboxMessage
from school import sync
from school.models import Guardian, Guardianship, Pupil, SchoolClass, SyncChange, SyncRun
from tests.factories import staff_user

from .fake_wonde import SCHOOL, TOKEN, FakeWonde

pytestmark = pytest.mark.django_db
Kind = SyncChange.Kind


@pytest.fixture
def wonde(settings):
    fake = FakeWonde()
    settings.WONDE_API_URL = fake.start()
    settings.WONDE_SCHOOL_ID = SCHOOL
    settings.WONDE_TOKEN = TOKEN
    settings.WONDE_PER_PAGE = 2  # every list takes several pages
    settings.WONDE_RETRY_WAIT_SECONDS = 0
    settings.DIRECTORY_SYNC_MAX_REMOVAL_SHARE = 0.25
    fake.classes["C1"] = {"name": "Robins", "employees": ["E1"]}
    fake.classes["C2"] = {"name": "Wrens", "employees": []}
    fake.employees["E1"] = {"forename": "Tess", "surname": "Teach", "email": "tess.teach@school.example.test"}
    pupils = [
        ("S1", "A100000000001", "Ada", "Ash", "2018-05-17", "Robins"),
        ("S2", "A100000000002", "Ben", "Ash", "2017-02-01", "Wrens"),
        ("S3", "A100000000003", "Cy", "Cole", "2018-11-30", "Robins"),
        ("S4", "A100000000004", "Di", "Dee", "2018-01-09", "Robins"),
        ("S5", "A100000000005", "Ed", "Eve", "2017-07-07", "Wrens"),
    ]
    for wid, upn, first, last, dob, group in pupils:
        fake.add_student(wid, upn=upn, forename=first, surname=last, dob=dob, group=group)
    fake.add_contact("K1", forename="Amy", surname="Ash", email="amy.ash@home.example.test", mobile="07700 900100")
    fake.add_contact("K2", forename="Carl", surname="Cole", email="", mobile="07700 900200")
    fake.add_contact("K3", forename="Dora", surname="Dee", email="dora.dee@home.example.test")
    fake.link("S1", "K1", "Mother")
    fake.link("S2", "K1", "Mother")
    fake.link("S3", "K2", "Father")
    fake.link("S4", "K3", "Grandparent", responsible=False)
    yield fake
    fake.stop()


@pytest.fixture
def tess(db):
    return staff_user(Role.TEACHER, email="tess.teach@school.example.test")


def _run(now, **kwargs):
    return sync.run_sync(now=now, **kwargs)


def test_first_sync_builds_the_directory_through_the_import_and_invites_new_parents(wonde, tess, now):
    run = _run(now)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert {p.mis_id: p.school_class.name for p in Pupil.objects.all()} == {
        "A100000000001": "Robins",
        "A100000000002": "Wrens",
        "A100000000003": "Robins",
        "A100000000004": "Robins",
        "A100000000005": "Wrens",
    }
    ada = Pupil.objects.get(mis_id="A100000000001")
    assert (ada.first_name, ada.last_name, ada.date_of_birth) == ("Ada", "Ash", dt.date(2018, 5, 17))
    amy = Guardian.objects.get(mis_id="ck1")
    assert (amy.email, amy.phone) == ("amy.ash@home.example.test", "07700 900100")
    assert sorted(amy.pupils.values_list("first_name", flat=True)) == ["Ada", "Ben"]
    assert amy.user is not None
    assert amy.user.email == "amy.ash@home.example.test"
    assert OutboxMessage.objects.filter(kind="account-invitation", recipient_email="amy.ash@home.example.test").count() == 1
    assert Guardian.objects.get(mis_id="ck2").user is None  # no email in the MIS, no account
    assert Guardianship.objects.get(guardian__mis_id="ck3").parental_responsibility is False
    assert list(SchoolClass.objects.get(name="Robins").teachers.all()) == [tess]
    # Every list was read page by page, with its includes, through the real HTTP client.
    students = wonde.asked("students")
    assert [q.get("page", "1") for q in students] == ["1", "2", "3"]
    assert set(students[0]["include"].split(",")) == {"education_details", "groups", "classes", "contacts"}
    assert wonde.asked("contacts")[0]["include"] == "contact_details"
    assert wonde.asked("classes")[0]["include"] == "employees"
    assert wonde.asked("employees")
    assert run.changes.filter(kind=Kind.PUPIL_NEW).count() == 5
    assert run.changes.filter(kind=Kind.GUARDIAN_NEW).count() == 3

    again = _run(now + dt.timedelta(hours=1))
    assert again.status == SyncRun.Status.SUCCEEDED
    assert not again.changes.exists()  # the same data twice changes nothing
    assert OutboxMessage.objects.filter(kind="account-invitation").count() == 2
    # The second run asked Wonde for deletions since the first one started.
    [deletions] = wonde.asked("deletions")
    assert deletions["type"] == "student"
    assert deletions["updated_after"] == run.started_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def test_a_class_move(wonde, now):
    _run(now)
    wonde.students["S1"]["group"] = "Wrens"

    run = _run(now + dt.timedelta(hours=1))

    assert Pupil.objects.get(mis_id="A100000000001").school_class.name == "Wrens"
    [move] = run.changes.filter(kind=Kind.CLASS_MOVE)
    assert move.summary == "Ada Ash moves from Robins to Wrens."
    assert move.pupil.mis_id == "A100000000001"


def test_a_leaver_goes_through_the_leaver_process(wonde, now):
    _run(now)
    dora_user = Guardian.objects.get(mis_id="ck3").user
    wonde.remove_student("S4", deleted_at=(now + dt.timedelta(minutes=30)).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"))

    run = _run(now + dt.timedelta(hours=1))

    di = Pupil.objects.get(mis_id="A100000000004")
    assert di.left_on == now.date()
    assert run.changes.filter(kind=Kind.LEAVER, pupil=di).exists()
    dora_user.refresh_from_db()
    assert dora_user.is_active is False  # her only child left: she can no longer sign in (leaver process)
    assert Pupil.objects.on_roll().count() == 4


def test_a_leaving_date_in_the_mis_is_used(wonde, now):
    _run(now)
    wonde.students["S5"]["leaving_date"] = (now.date() - dt.timedelta(days=3)).isoformat()

    _run(now + dt.timedelta(hours=1))

    assert Pupil.objects.get(mis_id="A100000000005").left_on == now.date() - dt.timedelta(days=3)


def test_a_new_guardian_is_invited_and_never_attached_to_an_existing_account_by_address(wonde, now, office):
    _run(now)
    wonde.add_contact("K4", forename="Gail", surname="Cole", email="gail.cole@home.example.test")
    wonde.link("S3", "K4", "Mother")
    # A second new contact whose MIS address is one an existing account (the office's) signs in with.
    wonde.add_contact("K5", forename="Hal", surname="Cole", email=office.email.upper())
    wonde.link("S3", "K5", "Stepfather", responsible=False)

    run = _run(now + dt.timedelta(hours=1))

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert not run.changes.filter(kind=Kind.FAILED).exists(), list(run.changes.values_list("summary", flat=True))
    gail = Guardian.objects.get(mis_id="ck4")
    assert gail.user is not None
    assert gail.user.email == "gail.cole@home.example.test"
    assert OutboxMessage.objects.filter(kind="account-invitation", recipient_email="gail.cole@home.example.test").exists()
    hal = Guardian.objects.get(mis_id="ck5")
    assert hal.user is None
    assert hal.email == ""
    assert not Guardian.objects.filter(user=office).exists()
    assert hal.guardianships.get().pupil.mis_id == "A100000000003"
    [conflict] = run.changes.filter(kind=Kind.CONFLICT)
    assert conflict.needs_review
    assert office.email in conflict.summary


def test_a_changed_address_for_a_family_with_a_call_coming_up_is_applied_and_reported(wonde, now, teacher, head):
    _run(now)
    ada = Pupil.objects.get(mis_id="A100000000001")
    start = now + dt.timedelta(days=2)
    call = Call.objects.create(
        kind="group",
        title="Story time",
        activity="Reading",
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        host=teacher,
        second_staff=head,
        booked_by=teacher,
        booked_at=now,
    )
    CallInvitation.objects.create(call=call, pupil=ada, invited_at=now)
    wonde.contacts["K1"]["email"] = "amy.new@home.example.test"
    wonde.contacts["K2"]["mobile"] = "07700 900299"

    run = _run(now + dt.timedelta(hours=1))

    assert Guardian.objects.get(mis_id="ck1").email == "amy.new@home.example.test"
    [changed] = run.changes.filter(kind=Kind.ADDRESS_CHANGED)
    assert changed.needs_review
    assert "calls coming up" in changed.summary
    assert Guardian.objects.get(mis_id="ck2").phone == "07700 900299"
    assert not run.changes.get(kind=Kind.GUARDIAN_CHANGED).needs_review


def test_removed_parental_responsibility_and_a_removed_contact_are_applied_and_reported(wonde, now):
    _run(now)
    wonde.link("S1", "K1", "Mother", responsible=False)
    wonde.unlink("S3", "K2")

    run = _run(now + dt.timedelta(hours=1))

    link = Guardianship.objects.get(guardian__mis_id="ck1", pupil__mis_id="A100000000001")
    assert link.parental_responsibility is False
    assert Guardianship.objects.get(guardian__mis_id="ck1", pupil__mis_id="A100000000002").parental_responsibility is True
    assert not Guardianship.objects.filter(guardian__mis_id="ck2").exists()
    removed = run.changes.get(kind=Kind.RESPONSIBILITY_REMOVED)
    assert removed.needs_review
    assert "Ada Ash" in removed.summary
    assert run.changes.get(kind=Kind.LINK_REMOVED).needs_review


def test_a_contact_added_by_the_office_by_hand_is_left_alone(wonde, now, office):
    _run(now)
    ada = Pupil.objects.get(mis_id="A100000000001")
    by_hand = Guardian.objects.create(first_name="Nan", last_name="Ash", email="nan@example.test")
    Guardianship.objects.create(guardian=by_hand, pupil=ada, relationship="Grandmother")

    _run(now + dt.timedelta(hours=1))

    assert Guardianship.objects.filter(guardian=by_hand, pupil=ada).exists()


def test_a_failure_half_way_writes_nothing_and_the_rerun_does_the_whole_job(wonde, now):
    wonde.failures[("contacts", 2)] = 10  # more than the client's retries

    failed = _run(now)

    assert failed.status == SyncRun.Status.FAILED
    assert "(500)" in failed.error
    assert not Pupil.objects.exists()
    assert not Guardian.objects.exists()
    assert not failed.changes.exists()

    wonde.failures.clear()
    rerun = _run(now + dt.timedelta(minutes=5))
    assert rerun.status == SyncRun.Status.SUCCEEDED
    assert Pupil.objects.count() == 5
    assert Guardian.objects.count() == 3
    # The failed run did not count as a success: the rerun read deletions from the beginning.
    assert not wonde.asked("deletions")


def test_temporary_errors_and_rate_limits_are_waited_out(wonde, now):
    wonde.rate_limited = 3
    wonde.failures[("students", 2)] = 2

    run = _run(now)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert Pupil.objects.count() == 5
    assert wonde.rate_limited == 0
    assert wonde.failures[("students", 2)] == 0
    # Every answer, the three 429s and two 500s included, was a real request, and each was asked again.
    assert run.counts["requests to Wonde"] == len(wonde.requests) == 5 + 7


def test_a_wrong_token_fails_in_plain_words_and_changes_nothing(wonde, now, settings):
    settings.WONDE_TOKEN = "not-the-token"
    run = _run(now)
    assert run.status == SyncRun.Status.FAILED
    assert "refused the token (401)" in run.error
    assert "not-the-token" not in run.error
    assert not Pupil.objects.exists()


def test_a_run_that_would_remove_too_many_pupils_stops_and_asks_the_office(wonde, now, client, office):
    _run(now)
    for wid in ("S2", "S3"):  # 2 of 5 pupils: more than the 25% allowed
        wonde.remove_student(wid)
    wonde.students["S1"]["group"] = "Wrens"

    held = _run(now + dt.timedelta(hours=1))

    assert held.status == SyncRun.Status.HELD
    assert "would mark 2 of 5 pupils as left" in held.error
    assert Pupil.objects.on_roll().count() == 5
    assert Pupil.objects.get(mis_id="A100000000001").school_class.name == "Robins"  # nothing at all was written
    assert {r["mis_id"] for r in held.held_removals} == {"A100000000002", "A100000000003"}

    client.force_login(office)
    page = client.get(reverse("school:sync")).content.decode()
    assert "Ben Ash" in page
    assert "Cy Cole" in page
    response = client.post(reverse("school:sync_confirm", args=[held.pk]))
    assert response.status_code == 302

    assert Pupil.objects.on_roll().count() == 3
    assert Pupil.objects.get(mis_id="A100000000001").school_class.name == "Wrens"
    held.refresh_from_db()
    assert held.status == SyncRun.Status.CONFIRMED
    assert SyncRun.objects.get(requested_by=office).status == SyncRun.Status.SUCCEEDED


def test_the_beat_task_is_scheduled_and_does_nothing_when_wonde_is_not_connected(settings):
    from egps_portal.celery import app
    from school.tasks import sync_directory

    assert app.conf.beat_schedule["school-directory-sync"]["task"] == "school.tasks.sync_directory"
    settings.WONDE_SCHOOL_ID = ""
    assert sync_directory() is None
    assert not SyncRun.objects.exists()


def test_the_token_can_come_from_a_secret_file(wonde, now, settings, tmp_path, monkeypatch):
    secret = tmp_path / "wonde_token"
    secret.write_text(TOKEN + "\n")
    monkeypatch.delenv("WONDE_TOKEN", raising=False)
    monkeypatch.setenv("WONDE_TOKEN_FILE", str(secret))
    # As egps_portal/settings/base.py reads it at start-up (tests/deploy proves the settings do).
    settings.WONDE_TOKEN = PortalEnv().str("WONDE_TOKEN", default="")

    assert _run(now).status == SyncRun.Status.SUCCEEDED


def test_a_missing_token_file_is_an_error_at_start_up_not_at_the_first_sync(tmp_path, monkeypatch):
    monkeypatch.delenv("WONDE_TOKEN", raising=False)
    monkeypatch.setenv("WONDE_TOKEN_FILE", str(tmp_path / "nope"))

    with pytest.raises(ImproperlyConfigured, match="WONDE_TOKEN_FILE=.* cannot be read"):
        PortalEnv().str("WONDE_TOKEN", default="")


def test_accounts_are_never_matched_for_staff_who_are_parents(wonde, now):
    # A parent's account with a teacher's address is not made a class teacher: staff accounts only.
    User.objects.create_user(email="tess.teach@school.example.test", first_name="T", last_name="T")
    _run(now)
    assert not SchoolClass.objects.get(name="Robins").teachers.exists()


# --- The office's pages and the head's dashboard ---------------------------------------------


def test_the_office_sees_the_last_run_and_syncs_now(wonde, client, office):
    client.force_login(office)
    assert "Last run" in client.get(reverse("school:sync")).content.decode()

    response = client.post(reverse("school:sync_now"), follow=True)  # Celery runs eagerly in tests

    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.requested_by == office
    page = response.content.decode()
    assert "Succeeded" in page
    assert "Ada Ash joins Robins." in page
    assert client.get(reverse("school:sync_run", args=[run.pk])).status_code == 200


def test_a_failed_run_is_shown_with_its_reason(wonde, client, office, now):
    wonde.failures[("students", 1)] = 10
    sync.run_sync(now=now)
    client.force_login(office)
    page = client.get(reverse("school:sync")).content.decode()
    assert "Failed" in page
    assert "Wonde answered with an error (500)" in page


def test_safety_changes_wait_on_the_review_page_until_dealt_with(wonde, client, office, now):
    sync.run_sync(now=now)
    wonde.link("S1", "K1", "Mother", responsible=False)
    sync.run_sync(now=now + dt.timedelta(hours=1))
    change = SyncChange.objects.get(kind=Kind.RESPONSIBILITY_REMOVED)

    client.force_login(office)
    assert "no longer has parental responsibility for Ada Ash" in client.get(reverse("school:sync_review")).content.decode()
    client.post(reverse("school:sync_reviewed", args=[change.pk]))

    change.refresh_from_db()
    assert change.reviewed_by == office
    assert "Nothing to review." in client.get(reverse("school:sync_review")).content.decode()
    assert client.post(reverse("school:sync_reviewed", args=[change.pk])).status_code == 404  # once only


@pytest.mark.parametrize("who", ["teacher", "parent_a", "dsl"])
def test_only_the_head_and_office_reach_the_sync_pages(wonde, client, request, who, now):
    sync.run_sync(now=now)
    run = SyncRun.objects.get()
    change = run.changes.first()
    client.force_login(request.getfixturevalue(who))
    for method, url in [
        ("get", reverse("school:sync")),
        ("post", reverse("school:sync_now")),
        ("get", reverse("school:sync_run", args=[run.pk])),
        ("post", reverse("school:sync_confirm", args=[run.pk])),
        ("get", reverse("school:sync_review")),
        ("post", reverse("school:sync_reviewed", args=[change.pk])),
    ]:
        assert getattr(client, method)(url).status_code == 403, url
    assert SyncRun.objects.count() == 1


def test_confirming_a_run_that_is_not_held_is_a_404(wonde, client, office, now):
    run = sync.run_sync(now=now)
    client.force_login(office)
    assert client.post(reverse("school:sync_confirm", args=[run.pk])).status_code == 404
    assert client.post(reverse("school:sync_confirm", args=[99999])).status_code == 404


def test_the_heads_dashboard_shows_a_sync_that_has_not_succeeded_for_a_day(wonde, client, head, now):
    old = now - dt.timedelta(hours=30)
    SyncRun.objects.create(started_at=old, finished_at=old, status=SyncRun.Status.SUCCEEDED)
    SyncRun.objects.create(started_at=now - dt.timedelta(hours=1), status=SyncRun.Status.FAILED, error="Wonde down")
    client.force_login(head)

    assert 'data-testid="sync-stale-panel"' in client.get(reverse("home")).content.decode()

    SyncRun.objects.create(started_at=now - dt.timedelta(minutes=5), status=SyncRun.Status.SUCCEEDED)
    assert 'data-testid="sync-stale-panel"' not in client.get(reverse("home")).content.decode()


def test_no_warning_when_wonde_is_not_connected(client, head, settings):
    settings.WONDE_SCHOOL_ID = ""
    client.force_login(head)
    assert 'data-testid="sync-stale-panel"' not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("school:sync")).status_code == 200


def test_the_compliance_overview_warns_the_head_and_deputy_of_a_stale_sync(wonde, client, head, deputy, now):
    from school.models import TermDate

    TermDate.objects.create(
        name="Autumn", starts_on=now.date() - dt.timedelta(days=30), ends_on=now.date() + dt.timedelta(days=30)
    )
    SyncRun.objects.create(started_at=now - dt.timedelta(hours=26), status=SyncRun.Status.SUCCEEDED)
    client.force_login(head)
    page = client.get(reverse("governance:overview")).content.decode()
    assert 'data-testid="overview-sync-stale"' in page
    assert reverse("school:sync") in page
    client.force_login(deputy)
    page = client.get(reverse("governance:overview")).content.decode()
    assert 'data-testid="overview-sync-stale"' in page
    assert reverse("school:sync") not in page  # the deputy does not keep the directory

    SyncRun.objects.create(started_at=now - dt.timedelta(hours=2), status=SyncRun.Status.SUCCEEDED)
    assert 'data-testid="overview-sync-stale"' not in client.get(reverse("governance:overview")).content.decode()


@pytest.mark.policy("CON-5")
def test_consent_in_force_follows_parental_responsibility_the_sync_removes(wonde, now):
    from consent import services as consent_services
    from consent.choices import Scope
    from consent.models import CurrentConsent

    _run(now)
    ada, amy = Pupil.objects.get(mis_id="A100000000001"), Guardian.objects.get(mis_id="ck1")
    consent_services.give_consent(pupil=ada, guardian=amy, scope=Scope.VIDEO_CALLS, decided_by=amy.user, now=now)
    assert CurrentConsent.objects.filter(pupil=ada, scope=Scope.VIDEO_CALLS, decision="given").exists()
    wonde.link("S1", "K1", "Mother", responsible=False)

    _run(now + dt.timedelta(hours=1))

    # Her decision is kept (append-only) but no longer counts: she has no parental responsibility.
    assert ada.consent_decisions.filter(guardian=amy).exists()
    assert not CurrentConsent.objects.filter(pupil=ada, scope=Scope.VIDEO_CALLS).exists()
