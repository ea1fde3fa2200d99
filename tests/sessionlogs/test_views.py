"""One HTTP test per page and permission boundary; the rules themselves are tested in test_policy/test_services."""

import datetime as dt

import pytest
from django.urls import reverse

from calls.choices import CallStatus
from sessionlogs import services
from sessionlogs.choices import Attendance, ContactMethod, NumberUsed
from sessionlogs.models import SessionLog, WelfareContact
from toolkit.registry import panels_for

from .factories import TUESDAY_10AM, join

pytestmark = pytest.mark.django_db


@pytest.fixture
def at(time_machine):
    def _at(moment):
        time_machine.move_to(moment, tick=False)

    return _at


def _log_post(call, **changes):
    data = {"started_at": "10:01", "ended_at": "10:29", "second_staff_present": "yes", "notes": ""}
    for invitation in call.invitations.all():
        data[f"pupil_{invitation.pupil_id}"] = Attendance.ADMITTED
    return data | changes


@pytest.mark.policy("LOG-1")
def test_the_log_form_is_prefilled_from_the_join_gateway(
    client, group_call, teacher, child_a, child_a2, guardian_a, at, after_call
):
    join(group_call, child_a, guardian_a, at=TUESDAY_10AM - dt.timedelta(minutes=2))
    at(after_call)
    client.force_login(teacher)

    response = client.get(reverse("sessionlogs:call_log", args=[group_call.pk]))

    form = response.context["form"]
    assert form.initial[f"pupil_{child_a.pk}"] == Attendance.ADMITTED
    assert form.initial[f"pupil_{child_a2.pk}"] == Attendance.ABSENT
    assert form.initial["started_at"] == dt.time(10, 0)
    assert f"call={group_call.pk}" in response.context["concern_url"]


@pytest.mark.policy("LOG-1")
def test_posting_the_log_saves_it_on_the_call_day_and_shows_it(client, group_call, teacher, at, after_call):
    at(after_call)
    client.force_login(teacher)

    response = client.post(reverse("sessionlogs:call_log", args=[group_call.pk]), _log_post(group_call), follow=True)

    log = SessionLog.objects.get()
    assert (log.started_at, log.length_minutes) == (TUESDAY_10AM + dt.timedelta(minutes=1), 28)
    assert response.templates[0].name == "sessionlogs/log.html"
    group_call.refresh_from_db()
    assert group_call.status == CallStatus.HELD


@pytest.mark.policy("LOG-1")
def test_a_refused_log_shows_the_problem_next_to_the_field_and_saves_nothing(client, group_call, teacher, at, after_call):
    at(after_call)
    client.force_login(teacher)

    response = client.post(
        reverse("sessionlogs:call_log", args=[group_call.pk]), _log_post(group_call, second_staff_present="no")
    )

    assert response.status_code == 200
    assert "why the second member of staff" in response.context["form"].errors["second_staff_present"][0]
    assert not SessionLog.objects.exists()


@pytest.mark.policy("LOG-2")
def test_the_one_to_one_form_asks_about_the_parent(client, one_to_one, teacher, at, after_call):
    at(after_call)
    client.force_login(teacher)

    response = client.get(reverse("sessionlogs:call_log", args=[one_to_one.pk]))

    assert {"spoke_to_parent_first", "parent_stayed"} <= set(response.context["form"].fields)


@pytest.mark.policy("GOV-2")
def test_parents_and_other_teachers_get_404_for_a_log(client, group_call, parent_a, teacher_b, at, after_call):
    at(after_call)
    for user in (parent_a, teacher_b):
        client.force_login(user)

        assert client.get(reverse("sessionlogs:call_log", args=[group_call.pk])).status_code == 404


@pytest.mark.policy("GOV-2")
def test_the_office_reads_but_is_not_offered_the_form(client, group_call, office, at, after_call):
    at(after_call)
    client.force_login(office)

    response = client.get(reverse("sessionlogs:call_log", args=[group_call.pk]))

    assert response.status_code == 200
    assert response.context["form"] is None


@pytest.mark.policy("GOV-3")
def test_the_author_corrects_through_the_page_and_both_versions_show(client, group_call, teacher, log_input, at, after_call):
    services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))
    at(after_call + dt.timedelta(hours=1))
    client.force_login(teacher)

    correction = _log_post(group_call, ended_at="10:20", reason="Ended early")
    client.post(reverse("sessionlogs:correct", args=[group_call.pk]), correction)
    response = client.get(reverse("sessionlogs:call_log", args=[group_call.pk]))

    assert [v.number for v in response.context["versions"]] == [2, 1]
    assert response.context["log"].length_minutes == 19


@pytest.mark.policy("GOV-3")
def test_the_head_annotates_after_the_window(client, group_call, teacher, head, log_input, at, after_call):
    log = services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))
    at(after_call + dt.timedelta(days=3))
    client.force_login(head)

    client.post(reverse("sessionlogs:annotate", args=[group_call.pk]), {"text": "Discussed at staff meeting."})

    assert log.annotations.get().text == "Discussed at staff meeting."


@pytest.mark.policy("LOG-4")
def test_the_dashboards_list_missing_logs_for_the_host_and_past_the_deadline_for_the_head(
    rf, group_call, teacher, head, after_call
):
    def titles(user, now):
        request = rf.get("/")
        request.user = user
        return {p.title: [c.pk for c in p.context["calls"]] for p in panels_for(request, now) if "ogs" in p.title}

    assert titles(teacher, after_call)["Logs to write"] == [group_call.pk]
    assert titles(head, after_call)["Missing logs past deadline"] == []
    assert titles(head, after_call + dt.timedelta(hours=24))["Missing logs past deadline"] == [group_call.pk]


def test_the_index_lists_my_logs_to_write(client, group_call, teacher, at, after_call):
    at(after_call)
    client.force_login(teacher)

    response = client.get(reverse("sessionlogs:index"))

    assert list(response.context["to_write"]) == [group_call]
    assert response.context["overdue"] is None


# --- pupils -------------------------------------------------------------------------------------------------


@pytest.mark.policy("LOG-5")
def test_staff_log_a_welfare_phone_call_through_the_page(client, school_week, child_a, guardian_a, teacher, at):
    at(TUESDAY_10AM + dt.timedelta(hours=1))
    client.force_login(teacher)
    data = {
        "method": ContactMethod.PHONE,
        "guardian": guardian_a.pk,
        "contacted_on": "2026-11-10",
        "contacted_time": "10:00",
        "duration_minutes": 10,
        "number_used": NumberUsed.WITHHELD,
        "staff": teacher.pk,
        "outcome": "All well",
    }

    response = client.post(reverse("sessionlogs:new_welfare_contact", args=[child_a.pk]), data)

    assert response.status_code == 302
    assert WelfareContact.objects.get().number_used == NumberUsed.WITHHELD


@pytest.mark.policy("CALL-1")
def test_an_evening_phone_call_is_refused_with_the_reason_on_the_page(client, school_week, child_a, teacher, at):
    at(TUESDAY_10AM + dt.timedelta(hours=10))
    client.force_login(teacher)
    data = {
        "method": ContactMethod.PHONE,
        "contacted_on": "2026-11-10",
        "contacted_time": "18:00",
        "duration_minutes": 10,
        "number_used": NumberUsed.SCHOOL,
        "staff": teacher.pk,
        "outcome": "All well",
    }

    response = client.post(reverse("sessionlogs:new_welfare_contact", args=[child_a.pk]), data)

    assert "School hours" in response.context["form"].errors["contacted_time"][0]
    assert not WelfareContact.objects.exists()


def test_only_the_dsl_team_is_offered_the_follow_up_box(client, child_a, teacher, dsl):
    url = reverse("sessionlogs:new_welfare_contact", args=[child_a.pk])
    client.force_login(teacher)
    assert "safeguarding_follow_up" not in client.get(url).context["form"].fields
    client.force_login(dsl)
    assert "safeguarding_follow_up" in client.get(url).context["form"].fields


@pytest.mark.policy("GOV-2")
def test_pupil_pages_are_404_for_parents_and_teachers_of_other_classes(client, child_a, parent_a, teacher_b):
    for user in (parent_a, teacher_b):
        client.force_login(user)
        for name in ("pupil_history", "pupil_history_csv", "new_welfare_contact", "contact_preference"):
            assert client.get(reverse(f"sessionlogs:{name}", args=[child_a.pk])).status_code == 404, name


def test_the_history_lists_calls_and_welfare_contacts_newest_first(
    client, school_week, group_call, teacher, child_a, guardian_a, log_input, after_call, at
):
    services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))
    services.record_welfare_contact(
        pupil=child_a,
        recorded_by=teacher,
        now=after_call,
        method=ContactMethod.HOME_VISIT,
        outcome="Dropped off a reading book",
        contacted_at=TUESDAY_10AM - dt.timedelta(days=1),
        duration_minutes=15,
    )
    at(after_call)
    client.force_login(teacher)

    entries = client.get(reverse("sessionlogs:pupil_history", args=[child_a.pk])).context["entries"]

    assert [(e.kind, e.outcome) for e in entries] == [
        ("Video call (group lesson)", "Admitted"),
        ("Home visit", "Dropped off a reading book"),
    ]


def test_the_history_csv_neutralises_formula_cells(client, school_week, child_a, teacher, after_call, at):
    services.record_welfare_contact(
        pupil=child_a,
        recorded_by=teacher,
        now=after_call,
        method=ContactMethod.PHONE,
        number_used=NumberUsed.SCHOOL,
        outcome='=HYPERLINK("http://evil.test")',
        contacted_at=TUESDAY_10AM,
        duration_minutes=5,
    )
    at(after_call)
    client.force_login(teacher)

    response = client.get(reverse("sessionlogs:pupil_history_csv", args=[child_a.pk]))

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK" in body
    assert ",=HYPERLINK" not in body


def test_staff_note_a_contact_preference(client, child_a, teacher):
    client.force_login(teacher)

    client.post(reverse("sessionlogs:contact_preference", args=[child_a.pk]), {"method": "phone", "notes": "After 2pm"})

    assert client.get(reverse("sessionlogs:pupil_history", args=[child_a.pk])).context["preference"].notes == "After 2pm"


@pytest.mark.policy("GOV-3")
def test_someone_other_than_the_author_is_not_offered_the_correction_form(
    client, group_call, teacher, dsl, log_input, at, after_call
):
    services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))
    at(after_call)
    client.force_login(dsl)

    response = client.get(reverse("sessionlogs:correct", args=[group_call.pk]))

    assert response.status_code == 302
    assert response.url == reverse("sessionlogs:call_log", args=[group_call.pk])


def test_the_history_is_paginated_newest_first_and_the_csv_keeps_it_whole(
    client, school_week, child_a, teacher, after_call, at, settings
):
    from sessionlogs import selectors

    for day in range(3):
        services.record_welfare_contact(
            pupil=child_a,
            recorded_by=teacher,
            now=after_call,
            method=ContactMethod.HOME_VISIT,
            outcome=f"Visit {day}",
            contacted_at=TUESDAY_10AM - dt.timedelta(days=7 * day),
            duration_minutes=15,
        )
    at(after_call)
    client.force_login(teacher)
    url = reverse("sessionlogs:pupil_history", args=[child_a.pk])

    first, _ = selectors.contact_history_page(child_a, after_call, 1, per_page=2)
    second, entries = selectors.contact_history_page(child_a, after_call, 2, per_page=2)
    page = client.get(url)
    csv_rows = b"".join(client.get(reverse("sessionlogs:pupil_history_csv", args=[child_a.pk])).streaming_content)

    assert (first.paginator.num_pages, [e.outcome for e in entries]) == (2, ["Visit 2"])
    assert [e.outcome for e in page.context["entries"]] == ["Visit 0", "Visit 1", "Visit 2"]
    assert len(csv_rows.decode("utf-8-sig").splitlines()) == 4
