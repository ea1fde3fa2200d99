"""Forms that guide (GOV.UK patterns) on the calls pages: every problem at once, on its field, in
specific words; nothing typed lost; the booking page states its rules up front and names the call
a clash is with; the approvals form keeps the decision when it comes back."""

import re

import pytest
import time_machine
from django.urls import reverse

from calls.choices import CallKind, CallStatus
from calls.models import Call, CallApproval
from calls.services import one_to_ones
from tests.calls.conftest import NOW, TUESDAY_10
from tests.calls.test_views import booking_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agreed_one_to_one(one_to_one, guardian_a, parent_a):
    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=True)
    return one_to_one


def _title(response):
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


# --- approvals -------------------------------------------------------------------------------------


@pytest.mark.policy("CALL-4")
def test_declining_without_a_reason_comes_back_with_the_decision_kept_and_the_error_on_the_reason(
    client, head, agreed_one_to_one
):
    client.force_login(head)

    response = client.post(reverse("calls:decide", args=[agreed_one_to_one.pk]), {"decision": "decline", "reason": "  "})

    assert response.status_code == 200
    assert _title(response).startswith("Error: ")
    page = response.content.decode()
    # The decline radio is still chosen, and the summary links to the reason box of this call.
    assert re.search(rf'value="decline"[^>]*id="call-{agreed_one_to_one.pk}-decision_1"[^>]*checked', page)
    assert f'href="#call-{agreed_one_to_one.pk}-reason"' in page
    assert "Give a reason for declining" in page
    assert not CallApproval.objects.exists()
    agreed_one_to_one.refresh_from_db()
    assert agreed_one_to_one.status == CallStatus.AWAITING_APPROVAL


@pytest.mark.policy("CALL-4")
def test_a_decision_with_nothing_chosen_asks_for_approve_or_decline_and_keeps_the_reason(client, head, agreed_one_to_one):
    client.force_login(head)

    response = client.post(reverse("calls:decide", args=[agreed_one_to_one.pk]), {"reason": "Typed before choosing"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose approve or decline" in page
    assert "Typed before choosing</textarea>" in page
    assert f'href="#call-{agreed_one_to_one.pk}-decision_0"' in page
    assert not CallApproval.objects.exists()


@pytest.mark.policy("CALL-4")
def test_the_head_declines_with_a_reason_and_it_is_recorded(client, head, agreed_one_to_one):
    client.force_login(head)

    response = client.post(reverse("calls:decide", args=[agreed_one_to_one.pk]), {"decision": "decline", "reason": "Another day"})

    assert response.status_code == 302
    approval = CallApproval.objects.get()
    assert (approval.decision, approval.reason, approval.approver) == ("declined", "Another day", head)


def test_a_teacher_cannot_post_a_decision(client, teacher, agreed_one_to_one):
    client.force_login(teacher)
    assert client.post(reverse("calls:decide", args=[agreed_one_to_one.pk]), {"decision": "approve"}).status_code == 403
    assert not CallApproval.objects.exists()


# --- booking ---------------------------------------------------------------------------------------


def test_the_booking_page_states_the_notice_rule_up_front_and_marks_group_only_fields(client, teacher, school_week):
    client.force_login(teacher)
    page = client.get(reverse("calls:book")).content.decode()

    rules = page.split('data-testid="booking-rules"')[1].split("</ul>")[0]
    assert "Book at least 1 hour ahead" in rules or re.search(r"Book at least \d+ hours ahead", rules)
    # The class and the single-staff reason are shown only for a group lesson (static/js/forms.js).
    assert page.count('data-show-when="kind=group"') == 2
    assert re.search(r'data-show-when="kind=group">\s*<div id="div_id_school_class"', page)


def test_an_empty_booking_lists_every_problem_at_once_in_specific_words_and_writes_nothing(client, teacher, school_week):
    client.force_login(teacher)

    response = client.post(reverse("calls:book"), {"kind": "group"})

    errors = response.context["form"].errors
    assert {"title", "activity", "platform", "date", "start_time", "duration_minutes", "host"} <= set(errors)
    assert errors["title"] == ["Enter a title for the call"]
    assert errors["date"] == ["Enter the date of the call"]
    assert errors["host"] == ["Choose host"]
    assert "This field is required" not in response.content.decode()
    assert _title(response).startswith("Error: ")
    assert not Call.objects.exists()


def test_a_refused_booking_keeps_everything_typed(client, teacher, dsl, consented, child_a):
    client.force_login(teacher)

    response = client.post(
        reverse("calls:book"),
        booking_post(
            title="Times tables",
            activity="Chanting the 7s",
            host=teacher.pk,
            second_staff=dsl.pk,
            pupils=[child_a.pk],
            date="2026-11-09",
            start_time="08:30",  # half an hour from now: too soon
        ),
    )

    form = response.context["form"]
    assert "ahead" in form.errors["date"][0]
    page = response.content.decode()
    assert 'value="Times tables"' in page
    assert "Chanting the 7s</textarea>" in page
    assert re.search(rf'value="{child_a.pk}"[^>]*checked', page)
    assert not Call.objects.exists()


def test_a_clash_names_the_call_it_clashes_with(client, teacher, dsl, book, consented, child_a):
    book(title="Phonics with Year 3", pupil_ids=[child_a.pk])
    client.force_login(teacher)

    response = client.post(
        reverse("calls:book"),
        booking_post(
            title="Spelling",
            host=teacher.pk,
            second_staff=dsl.pk,
            date="2026-11-10",
            start_time="10:15",
            pupils=[child_a.pk],
        ),
    )

    problem = response.context["form"].errors["date"][0]
    assert "Already in another call at this time" in problem
    assert "“Phonics with Year 3”, 10:00 to 10:30" in problem
    assert Call.objects.count() == 1


def test_a_one_to_one_books_through_the_form(client, teacher, dsl, consented, child_a):
    client.force_login(teacher)

    response = client.post(
        reverse("calls:book"),
        booking_post(
            kind=CallKind.ONE_TO_ONE,
            title="Reading",
            host=teacher.pk,
            second_staff=dsl.pk,
            pupils=[child_a.pk],
        ),
    )

    call = Call.objects.get()
    assert response.status_code == 302
    assert (call.kind, call.status) == (CallKind.ONE_TO_ONE, CallStatus.AWAITING_PARENT)


# --- raising a concern from a call -------------------------------------------------------------------


@pytest.mark.policy("SG-1")
def test_a_concern_from_a_group_lesson_pre_selects_nobody_and_from_a_one_to_one_the_pupil(
    client, teacher, book, consented, child_a, child_b, one_to_one
):
    group = book(title="Group", pupil_ids=[child_a.pk, child_b.pk], starts_at=TUESDAY_10.replace(hour=13))
    assert group.invitations.filter(removed_at__isnull=True).count() == 2
    client.force_login(teacher)

    group_page = client.get(reverse("calls:detail", args=[group.pk])).content.decode()
    one_page = client.get(reverse("calls:detail", args=[one_to_one.pk])).content.decode()

    assert f'/safeguarding/raise/?call={group.pk}"' in group_page
    assert f"/safeguarding/raise/?call={one_to_one.pk}&amp;pupil={child_a.pk}" in one_page
