"""Edges around the main flows: refusals shown on the page, fallbacks, history states and emails."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.choices import Role
from calls.choices import CallStatus
from calls.models import CallInvitation
from notifications.models import OutboxMessage
from sessionlogs import selectors, services
from sessionlogs.choices import Attendance, ContactMethod
from tests.factories import staff_user

from .factories import TUESDAY_10AM, make_call

pytestmark = pytest.mark.django_db


def _remove(call, pupil, reason):
    invitation = CallInvitation.objects.get(call=call, pupil=pupil)
    invitation.removed_at, invitation.removed_reason = TUESDAY_10AM, reason
    invitation.save()


@pytest.fixture
def at(time_machine):
    def _at(moment):
        time_machine.move_to(moment, tick=False)

    return _at


@pytest.mark.policy("LOG-1")
def test_before_the_call_starts_the_page_says_so_and_offers_no_form(client, group_call, teacher, at):
    at(TUESDAY_10AM - dt.timedelta(minutes=30))
    client.force_login(teacher)

    response = client.get(reverse("sessionlogs:call_log", args=[group_call.pk]))

    assert response.context["form"] is None
    assert "has not started yet" in response.content.decode()


@pytest.mark.policy("LOG-1")
def test_a_cancelled_call_has_no_log_form(client, teacher, child_a, at, after_call):
    call = make_call(host=teacher, pupils=[child_a], status=CallStatus.CANCELLED)
    at(after_call)
    client.force_login(teacher)

    response = client.get(reverse("sessionlogs:call_log", args=[call.pk]))

    assert response.context["form"] is None
    assert "Only a scheduled call" in response.content.decode()


@pytest.mark.policy("LOG-1")
def test_a_call_the_platform_marked_held_can_still_be_logged(teacher, child_a, log_input, after_call):
    call = make_call(host=teacher, pupils=[child_a], status=CallStatus.HELD)

    log = services.write_session_log(call=call, written_by=teacher, now=after_call, content=log_input(call))

    call.refresh_from_db()
    assert (log.call, call.status) == (call, CallStatus.HELD)


@pytest.mark.policy("LOG-1")
def test_a_pupil_removed_before_the_call_is_not_asked_about(group_call, teacher, child_a, child_a2, log_input, after_call):
    _remove(group_call, child_a2, "Consent withdrawn")

    log = services.write_session_log(
        call=group_call,
        written_by=teacher,
        now=after_call,
        content=log_input(group_call, attendance={child_a.pk: Attendance.ADMITTED}),
    )

    assert list(log.pupils.values_list("pupil_id", flat=True)) == [child_a.pk]


def test_correct_and_annotate_are_404_while_there_is_no_log(client, group_call, teacher, head, at, after_call):
    at(after_call)
    client.force_login(teacher)
    assert client.get(reverse("sessionlogs:correct", args=[group_call.pk])).status_code == 404
    client.force_login(head)
    assert client.post(reverse("sessionlogs:annotate", args=[group_call.pk]), {"text": "x"}).status_code == 404


@pytest.mark.policy("GOV-3")
def test_the_head_cannot_annotate_while_the_author_may_still_correct(
    client, group_call, teacher, head, log_input, at, after_call
):
    log = services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))
    at(after_call + dt.timedelta(hours=1))
    client.force_login(head)

    page = client.get(reverse("sessionlogs:call_log", args=[group_call.pk]))
    client.post(reverse("sessionlogs:annotate", args=[group_call.pk]), {"text": "Too early"})

    assert page.context["annotate_form"] is None
    assert not log.annotations.exists()


@pytest.mark.policy("GOV-3")
def test_a_correction_needs_a_reason(group_call, teacher, log_input, after_call):
    log = services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))

    with pytest.raises(services.LogRefused) as refused:
        services.correct_session_log(log=log, corrected_by=teacher, now=after_call, content=log_input(group_call), reason=" ")

    assert "reason" in refused.value.problems
    assert log.versions.count() == 1


@pytest.mark.policy("LOG-4")
def test_the_deputy_is_told_when_the_school_has_no_headteacher(group_call, deputy):
    services.chase_missing_logs(now=group_call.ends_at + dt.timedelta(days=2))

    assert OutboxMessage.objects.filter(kind="log-overdue").get().recipient_email == deputy.email


@pytest.mark.policy("LOG-4")
def test_the_reminder_links_to_the_log_page(group_call, teacher, settings):
    services.chase_missing_logs(now=group_call.ends_at + dt.timedelta(minutes=1))

    reminder = OutboxMessage.objects.get(kind="log-reminder")
    assert f"{settings.PORTAL_BASE_URL}/logs/calls/{group_call.pk}/" in reminder.body_text
    assert reminder.recipient_email == teacher.email


@pytest.mark.policy("LOG-4")
def test_the_head_sees_overdue_logs_on_the_index(client, group_call, head, at):
    at(group_call.ends_at + dt.timedelta(days=2))
    client.force_login(head)

    response = client.get(reverse("sessionlogs:index"))

    assert list(response.context["overdue"]) == [group_call]


@pytest.mark.policy("CALL-1")
def test_the_dsl_logs_an_evening_follow_up_through_the_page(client, school_week, child_a, dsl, at):
    at(TUESDAY_10AM + dt.timedelta(hours=10))
    client.force_login(dsl)
    data = {
        "method": ContactMethod.HOME_VISIT,
        "contacted_on": "2026-11-10",
        "contacted_time": "18:00",
        "duration_minutes": 20,
        "staff": dsl.pk,
        "outcome": "Visited with the deputy DSL; family safe.",
        "safeguarding_follow_up": "on",
    }

    response = client.post(reverse("sessionlogs:new_welfare_contact", args=[child_a.pk]), data)

    assert response.status_code == 302
    assert child_a.welfare_contacts.get().safeguarding_follow_up is True


def test_the_history_says_when_a_call_has_no_log_yet_and_when_a_pupil_was_removed(group_call, child_a, child_a2, after_call):
    _remove(group_call, child_a2, "Left school")

    assert [e.outcome for e in selectors.contact_history(child_a, after_call)] == ["No session log yet"]
    assert [e.outcome for e in selectors.contact_history(child_a2, after_call)] == ["Removed: Left school"]
    assert selectors.contact_history(child_a, TUESDAY_10AM - dt.timedelta(days=1)) == []


def test_a_welfare_contact_by_someone_not_on_the_staff_is_refused(school_week, child_a, teacher, guardian_a):
    with pytest.raises(services.LogRefused) as refused:
        services.record_welfare_contact(
            pupil=child_a,
            recorded_by=teacher,
            now=TUESDAY_10AM + dt.timedelta(hours=1),
            method=ContactMethod.HOME_VISIT,
            contacted_at=TUESDAY_10AM,
            duration_minutes=10,
            outcome="x",
            staff=guardian_a.user,
        )

    assert "staff" in refused.value.problems


def test_the_history_csv_has_one_row_per_entry(client, school_week, group_call, child_a, teacher, at, after_call):
    at(after_call)
    client.force_login(teacher)

    response = client.get(reverse("sessionlogs:pupil_history_csv", args=[child_a.pk]))
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()

    assert rows[0].startswith("Date,Time (UK),Kind")
    assert rows[1].startswith("10/11/2026,10:00,Video call (group lesson),Year 3 phonics")


def test_the_nav_and_pupil_section_are_for_staff_only(rf, child_a, teacher, parent_a, now):
    from sessionlogs import dashboard

    request = rf.get("/")
    request.user = parent_a
    assert dashboard.nav_items(parent_a) == []
    assert dashboard.panels(request, now) == []
    assert dashboard.child_sections(request, child_a, now, "staff") == []
    request.user = teacher
    assert [item.label for item in dashboard.nav_items(teacher)] == ["Session logs"]
    assert dashboard.child_sections(request, child_a, now, "family") == []
    assert [p.title for p in dashboard.child_sections(request, child_a, now, "staff")] == ["Contact history"]


def test_the_leadership_may_write_a_log_for_an_absent_host(group_call, head, log_input, after_call):
    log = services.write_session_log(call=group_call, written_by=head, now=after_call, content=log_input(group_call))

    assert log.author == head


def test_an_office_member_cannot_write_a_log(group_call, log_input, after_call):
    office = staff_user(Role.OFFICE, email="office2@example.test")

    with pytest.raises(services.LogError):
        services.write_session_log(call=group_call, written_by=office, now=after_call, content=log_input(group_call))


@pytest.mark.policy("LOG-4")
def test_a_call_older_than_the_chase_window_is_no_longer_chased_or_listed(group_call):
    from sessionlogs import policy

    just_ended = group_call.ends_at + dt.timedelta(minutes=1)
    window_passed = group_call.starts_at + policy.CHASE_WINDOW + dt.timedelta(minutes=1)

    assert list(selectors.calls_missing_log(just_ended)) == [group_call]
    assert list(selectors.missing_past_deadline(window_passed - dt.timedelta(minutes=2), 24)) == [group_call]
    assert not selectors.calls_missing_log(window_passed).exists()
    assert services.chase_missing_logs(now=window_passed) == 0
    assert policy.chase_window_start(now=window_passed) > group_call.starts_at
