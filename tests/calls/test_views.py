"""One HTTP test per page per permission boundary; the join gateway with the clock moved."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls.choices import CallKind, CallStatus
from calls.models import Call, CallInvitation, JoinAttempt
from calls.services import booking, join_details, one_to_ones
from consent.choices import Scope
from consent.services import withdraw_consent
from tests.calls.conftest import NOW, TUESDAY_10, consent, join_token, outbox
from tests.factories import PupilFactory, family_holder, parent_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday_morning():
    """The pages read the clock: it is Monday 9 November 2026, 08:00, unless a test moves it."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def as_user(client):
    def _as(user):
        client.force_login(user)
        return client

    return _as


@pytest.fixture
def group_call(book, consented, child_a):
    return book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk])


# --- booking page ----------------------------------------------------------------------------


def test_staff_open_the_booking_form_and_parents_cannot(as_user, teacher, parent_a):
    assert as_user(teacher).get(reverse("calls:book")).status_code == 200
    assert as_user(parent_a).get(reverse("calls:book")).status_code == 403


@pytest.mark.policy("CON-1")
@pytest.mark.policy("CON-6")
def test_the_booking_form_shows_at_once_who_has_no_consent(as_user, teacher, school_week, child_a, guardian_a):
    second = PupilFactory(first_name="Cara", last_name="Cole", school_class=child_a.school_class)
    consent(child_a, guardian_a)

    page = as_user(teacher).get(reverse("calls:book")).content.decode()

    assert "Cara Cole (Year 3) – no video-call consent: will be left out" in page
    assert "Amelia Adams (Year 3) – no recording permission" in page
    assert second.pk


def booking_post(**changes):
    data = {
        "kind": "group",
        "title": "Maths",
        "activity": "Counting",
        "platform": "teams",
        "date": "2026-11-10",
        "start_time": "10:00",
        "duration_minutes": "30",
        "host": "",
        "second_staff": "",
        "single_staff_reason": "",
        "school_class": "",
        "pupils": [],
        "meeting_url": "https://teams.example.test/x",
        "passcode": "",
    }
    return {**data, **changes}


def test_booking_through_the_form(as_user, teacher, dsl, consented, class_a, child_a):
    response = as_user(teacher).post(
        reverse("calls:book"), booking_post(host=teacher.pk, second_staff=dsl.pk, school_class=class_a.pk)
    )

    call = Call.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("calls:detail", args=[call.pk])
    assert list(call.invitations.filter(removed_at__isnull=True).values_list("pupil_id", flat=True)) == [child_a.pk]


@pytest.mark.policy("GOV-2")
def test_a_teacher_cannot_invite_pupils_outside_their_classes_by_tampering(as_user, teacher, dsl, consented, child_b, class_b):
    # A second member of staff, so the only problems left are the tampered fields (every rule is
    # checked in the same pass, issue 19).
    response = as_user(teacher).post(
        reverse("calls:book"), booking_post(host=teacher.pk, second_staff=dsl.pk, school_class=class_b.pk, pupils=[child_b.pk])
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"school_class", "pupils"}
    assert not Call.objects.exists()


def test_the_list_pages_keep_filters_across_pages(as_user, head, teacher, dsl, child_a):
    make_calls(25, host=teacher, second=dsl, pupil=child_a)

    page = as_user(head).get(reverse("calls:list"), {"kind": "group", "page": "1"}).content.decode()

    assert "?kind=group&amp;page=2" in page


def test_a_long_list_counts_only_a_few_pages_ahead_and_still_offers_the_next(as_user, head, teacher, dsl, child_a, monkeypatch):
    from calls.pagination import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "LOOKAHEAD", 0)
    make_calls(25, host=teacher, second=dsl, pupil=child_a)

    first = as_user(head).get(reverse("calls:list"), {"past": "on"}).content.decode()
    second = as_user(head).get(reverse("calls:list"), {"past": "on", "page": "2"})

    assert "Page 1 of more than 1" in first
    assert "?past=on&amp;page=2" in first
    assert len(second.context["page"].object_list) == 5
    assert "Page 2 of 2" in second.content.decode()


@pytest.mark.policy("CALL-1")
def test_a_refused_booking_shows_the_problem_next_to_the_field(as_user, teacher, consented, class_a):
    response = as_user(teacher).post(
        reverse("calls:book"), booking_post(host=teacher.pk, school_class=class_a.pk, start_time="16:00")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["date"][0].startswith("School hours on Tuesdays are 08:45 to 15:30")
    assert "Add a second member of staff" in response.context["form"].errors["second_staff"][0]
    assert not Call.objects.exists()


@pytest.mark.policy("CALL-1")
def test_a_booking_with_a_missing_title_and_a_clash_shows_both_at_once(as_user, teacher, dsl, consented, class_a, child_a, book):
    other = book(pupil_ids=[child_a.pk], title="Year 3 reading")  # Tuesday 10:00 to 10:30, hosted by teacher

    response = as_user(teacher).post(
        reverse("calls:book"), booking_post(title="", host=teacher.pk, second_staff=dsl.pk, school_class=class_a.pk)
    )

    page = response.content.decode()
    errors = response.context["form"].errors
    assert response.status_code == 200
    assert errors["title"] == ["Enter a title for the call"]
    assert "Year 3 reading" in errors["date"][0]  # the clash names the other call, on the date
    assert "Enter a title for the call" in page
    assert "Year 3 reading" in page
    assert list(Call.objects.all()) == [other]


@pytest.mark.policy("CALL-1")
def test_a_booking_with_a_missing_host_and_a_start_too_soon_shows_both_at_once(as_user, teacher, consented, class_a):
    response = as_user(teacher).post(
        reverse("calls:book"), booking_post(activity="", host="", school_class=class_a.pk, date="2026-11-09", start_time="08:30")
    )

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert errors["host"]
    assert errors["activity"]
    assert errors["date"]  # 30 minutes ahead, before school opens: said now, not on the next try
    assert "second_staff" not in errors  # the staffing rule waits for a host
    assert not Call.objects.exists()


@pytest.mark.policy("CALL-1")
def test_a_booking_outside_school_hours_with_a_bad_meeting_link_shows_both(as_user, teacher, dsl, consented, class_a):
    response = as_user(teacher).post(
        reverse("calls:book"),
        booking_post(host=teacher.pk, second_staff=dsl.pk, school_class=class_a.pk, start_time="16:00", meeting_url="not a link"),
    )

    errors = response.context["form"].errors
    assert errors["meeting_url"]
    assert errors["date"][0].startswith("School hours on Tuesdays are 08:45 to 15:30")
    assert not Call.objects.exists()


# --- the staff call page: CALL-6, CALL-7, GOV-2 --------------------------------------------------


@pytest.mark.policy("CALL-7")
def test_the_call_page_shows_checklist_contacts_script_and_concern_link(as_user, one_to_one, teacher, dsl, ddsl, child_a):
    response = as_user(teacher).get(reverse("calls:detail", args=[one_to_one.pk]))
    page = response.content.decode()

    assert "speak first with the parent or carer" in page
    assert "stays in the room" in page
    assert dsl.email in page
    assert ddsl.email in page
    assert f"/safeguarding/raise/?call={one_to_one.pk}&amp;pupil={child_a.pk}" in page


@pytest.mark.policy("CALL-6")
def test_the_call_page_lists_every_required_platform_setting(as_user, group_call, teacher):
    page = as_user(teacher).get(reverse("calls:detail", args=[group_call.pk])).content.decode()

    for words in (
        "Waiting room",
        "muted on entry",
        "one at a time, camera on",
        "locked 5 minutes after",
        "Private messaging",
        "Screen sharing for staff only",
        "File transfer off",
        "renaming locked",
        "Recording off",
        "school account",
    ):
        assert words in page


@pytest.mark.policy("CALL-6")
def test_the_host_ticks_the_checklist_from_the_page(as_user, group_call, teacher):
    response = as_user(teacher).post(reverse("calls:tick", args=[group_call.pk]), {"item": "waiting_room", "ticked": "1"})

    assert response.status_code == 302
    assert group_call.checklist_ticks.get().item == "waiting_room"


@pytest.mark.policy("GOV-2")
def test_only_the_calls_staff_see_the_meeting_link(as_user, group_call, teacher, head, teacher_b, parent_a):
    url = reverse("calls:detail", args=[group_call.pk])

    assert "s3cret-pass" in as_user(teacher).get(url).content.decode()
    head_page = as_user(head).get(url)
    assert head_page.status_code == 200
    assert "s3cret-pass" not in head_page.content.decode()
    assert as_user(teacher_b).get(url).status_code == 404
    assert as_user(parent_a).get(url).status_code == 403


@pytest.mark.policy("CON-3")
def test_withdrawing_consent_removes_the_pupil_from_the_hosts_call_page(as_user, group_call, teacher, child_a, guardian_a):
    url = reverse("calls:detail", args=[group_call.pk])
    before = as_user(teacher).get(url)

    withdraw_consent(
        pupil=child_a,
        guardian=guardian_a,
        scope=Scope.VIDEO_CALLS,
        decided_by=guardian_a.user,
        now=TUESDAY_10 - dt.timedelta(hours=1),
    )
    after = as_user(teacher).get(url)

    assert [i.pupil for i in before.context["invited"]] == [child_a]
    assert after.context["invited"] == []
    assert "Amelia Adams: Consent for video calls was withdrawn." in after.content.decode()


def test_change_time_and_cancel_pages(as_user, group_call, teacher, teacher_b, guardian_a):
    client = as_user(teacher)
    moved = client.post(
        reverse("calls:change_time", args=[group_call.pk]),
        {"date": "2026-11-10", "start_time": "11:00", "duration_minutes": "30"},
    )
    refused = client.post(
        reverse("calls:change_time", args=[group_call.pk]),
        {"date": "2026-11-14", "start_time": "11:00", "duration_minutes": "30"},
    )
    cancelled = client.post(reverse("calls:cancel", args=[group_call.pk]), {"reason": "Teacher unwell"})

    assert moved.status_code == 302
    assert "Saturday is not a school day" in refused.context["form"].errors["date"][0]
    assert cancelled.status_code == 302
    group_call.refresh_from_db()
    assert group_call.status == CallStatus.CANCELLED
    assert as_user(teacher_b).get(reverse("calls:cancel", args=[group_call.pk])).status_code == 404


def test_meeting_details_are_saved_by_the_calls_staff(as_user, group_call, teacher):
    as_user(teacher).post(
        reverse("calls:meeting_details", args=[group_call.pk]), {"meeting_url": "https://meet.example.test/new", "passcode": "9"}
    )

    group_call.refresh_from_db()
    assert group_call.meeting_url == "https://meet.example.test/new"


# --- approvals: CALL-4 -------------------------------------------------------------------------


@pytest.mark.policy("CALL-4")
def test_the_approvals_queue_is_for_the_head_and_deputy(as_user, one_to_one, guardian_a, parent_a, teacher, head):
    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=True)

    assert as_user(teacher).get(reverse("calls:approvals")).status_code == 403
    assert as_user(teacher).post(reverse("calls:decide", args=[one_to_one.pk]), {"decision": "approve"}).status_code == 403
    queue = as_user(head).get(reverse("calls:approvals"))
    assert list(queue.context["page"].object_list) == [one_to_one]
    as_user(head).post(reverse("calls:decide", args=[one_to_one.pk]), {"decision": "approve", "reason": ""})
    one_to_one.refresh_from_db()
    assert one_to_one.status == CallStatus.SCHEDULED


@pytest.mark.policy("CALL-4")
def test_a_head_who_booked_a_one_to_one_cannot_approve_it(as_user, book, consented, child_a, guardian_a, parent_a, head):
    call = book(kind=CallKind.ONE_TO_ONE, pupil_ids=[child_a.pk], booked_by=head)
    one_to_ones.record_parent_agreement(call=call, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=True)

    response = as_user(head).post(reverse("calls:decide", args=[call.pk]), {"decision": "approve"}, follow=True)

    call.refresh_from_db()
    assert call.status == CallStatus.AWAITING_APPROVAL
    assert "You booked this call, so someone else must approve it." in response.content.decode()


# --- family pages --------------------------------------------------------------------------------


@pytest.mark.policy("GOV-2")
@pytest.mark.policy("COM-8")
def test_a_parent_sees_only_their_childrens_calls(as_user, group_call, parent_a, parent_b):
    mine = as_user(parent_a).get(reverse("calls:family"))
    theirs = as_user(parent_b).get(reverse("calls:family"))

    assert [row["call"] for row in mine.context["rows"]] == [group_call]
    assert "Childline" in mine.content.decode()
    assert theirs.context["rows"] == []
    assert as_user(parent_b).get(reverse("calls:family_call", args=[group_call.pk])).status_code == 404
    page = as_user(parent_a).get(reverse("calls:family_call", args=[group_call.pk])).content.decode()
    assert "s3cret-pass" not in page
    assert "teams.example.test" not in page


@pytest.mark.policy("CALL-4")
def test_a_parent_agrees_in_the_portal(as_user, one_to_one, parent_a, parent_b):
    url = reverse("calls:answer", args=[one_to_one.pk])

    assert as_user(parent_b).post(url, {"answer": "agree"}).status_code == 404
    page = as_user(parent_a).get(reverse("calls:family_call", args=[one_to_one.pk])).content.decode()
    as_user(parent_a).post(url, {"answer": "agree"})

    assert "I agree to this time" in page
    one_to_one.refresh_from_db()
    assert one_to_one.status == CallStatus.AWAITING_APPROVAL


# --- the join gateway: CON-1, CALL-4, CALL-6 -------------------------------------------------------


def open_link(client, token):
    """The family presses Join, signed in as the guardian the link was sent to (issue 16)."""
    client.force_login(family_holder(token).user)
    return client.post(reverse("calls:join", args=[token]))


@pytest.fixture
def token(group_call):
    return join_token(outbox("call-join")[0])


def test_opening_the_page_alone_records_nothing(client, token):
    response = client.get(reverse("calls:join", args=[token]))

    assert response.status_code == 200
    assert not JoinAttempt.objects.exists()
    assert client.get(reverse("calls:join", args=["not-a-token"])).status_code == 404


@pytest.mark.policy("CALL-6")
def test_the_join_link_refuses_before_the_window_with_the_reason(client, token):
    with time_machine.travel(TUESDAY_10 - dt.timedelta(minutes=20), tick=False):
        response = open_link(client, token)

    assert "This call opens at 09:45 on Tue 10 Nov 2026" in response.content.decode()
    assert "teams.example.test" not in response.content.decode()
    assert JoinAttempt.objects.get().allowed is False


@pytest.mark.policy("CALL-6")
def test_the_join_link_hands_over_the_platform_link_inside_the_window(client, token):
    with time_machine.travel(TUESDAY_10 - dt.timedelta(minutes=5), tick=False):
        response = open_link(client, token)

    page = response.content.decode()
    assert 'href="https://teams.example.test/meet/abc"' in page
    assert re.search(r'data-testid="real-name">Amelia Adams<', page)
    assert JoinAttempt.objects.get().allowed is True


@pytest.mark.policy("CALL-6")
def test_the_join_link_refuses_five_minutes_after_the_start(client, token):
    with time_machine.travel(TUESDAY_10 + dt.timedelta(minutes=5), tick=False):
        response = open_link(client, token)

    assert "This call was locked 5 minutes after it started" in response.content.decode()
    assert "teams.example.test" not in response.content.decode()


@pytest.mark.policy("CON-1")
def test_the_join_link_refuses_after_consent_is_withdrawn(client, token, child_a, guardian_a):
    withdraw_consent(
        pupil=child_a,
        guardian=guardian_a,
        scope=Scope.VIDEO_CALLS,
        decided_by=guardian_a.user,
        now=TUESDAY_10 - dt.timedelta(hours=1),
    )

    with time_machine.travel(TUESDAY_10, tick=False):
        response = open_link(client, token)

    assert "This join link has been cancelled" in response.content.decode()
    assert "teams.example.test" not in response.content.decode()


@pytest.mark.policy("CON-1")
def test_consent_is_checked_at_the_moment_of_joining(client, token, child_a, guardian_a):
    # Even if the withdrawal handler had not run, the gateway reads consent when the link is opened.
    from consent.models import ConsentDecision
    from consent.services import refresh_current_consent

    ConsentDecision.objects.create(
        pupil=child_a,
        guardian=guardian_a,
        scope=Scope.VIDEO_CALLS,
        decision="withdrawn",
        decided_at=TUESDAY_10 - dt.timedelta(hours=1),
        entered_by=guardian_a.user,
    )
    refresh_current_consent([child_a.pk])  # recorded as withdraw_consent records it, but no handler ran

    with time_machine.travel(TUESDAY_10, tick=False):
        response = open_link(client, token)

    assert "Consent for video calls is not in force for this child" in response.content.decode()


@pytest.mark.policy("CALL-4")
@pytest.mark.policy("CALL-5")
def test_the_join_link_refuses_a_one_to_one_not_yet_approved(client, scheduled_one_to_one, teacher):
    join_details.send_due_join_details(now=TUESDAY_10 - dt.timedelta(hours=1))
    token = join_token(outbox("call-join")[0])
    # Moving the time voids the approval; even a link for the new time would wait for approval.
    with time_machine.travel(TUESDAY_10 - dt.timedelta(hours=1), tick=False):
        booking.change_call_time(
            call=scheduled_one_to_one,
            changed_by=teacher,
            now=TUESDAY_10 - dt.timedelta(hours=1),
            starts_at=TUESDAY_10 + dt.timedelta(hours=2),
            duration_minutes=30,
        )
    link = scheduled_one_to_one.join_links.get()
    link.revoked_at = None  # pretend the link survived the change, to prove the status check itself
    link.save()

    with time_machine.travel(TUESDAY_10 + dt.timedelta(hours=2), tick=False):
        response = open_link(client, token)

    assert "has not yet been agreed by a parent or carer and approved" in response.content.decode()


# --- lists: GOV-2 and constant queries at 10x ---------------------------------------------------


def test_staff_see_their_calls_and_the_head_sees_all(as_user, book, consented, child_a, child_b, teacher, teacher_b, ddsl, head):
    mine = book(pupil_ids=[child_a.pk])
    theirs = book(
        pupil_ids=[child_b.pk], host=teacher_b, second_staff=None, single_staff_reason="Short lesson", booked_by=teacher_b
    )

    assert list(as_user(teacher).get(reverse("calls:list")).context["page"].object_list) == [mine]
    assert set(as_user(head).get(reverse("calls:list")).context["page"].object_list) == {mine, theirs}
    flagged = as_user(head).get(reverse("calls:list"), {"single_staff": "on"})
    assert list(flagged.context["page"].object_list) == [theirs]
    assert 'data-testid="single-staff-flag"' in flagged.content.decode()


def make_calls(n, *, host, second, pupil, status=CallStatus.SCHEDULED, kind=CallKind.GROUP):
    """n calls straight into the table (the rules are tested elsewhere), each inviting `pupil`."""
    for i in range(n):
        start = TUESDAY_10 + dt.timedelta(days=i, minutes=i)
        call = Call.objects.create(
            kind=kind,
            title=f"Call {i}",
            activity="Things",
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            host=host,
            second_staff=second,
            status=status,
            booked_by=host,
            booked_at=NOW,
        )
        CallInvitation.objects.create(call=call, pupil=pupil, invited_at=NOW)


@override_settings(PORTAL_CACHE_PAGES=False)  # the cost of drawing the page, not of serving it drawn
def queries_for(client, url):
    for _ in range(2):  # warm the caches (school settings, session, the person) so only the page's own queries count
        client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("who", "url_name", "status", "kind"),
    [
        ("teacher", "calls:list", CallStatus.SCHEDULED, CallKind.GROUP),
        ("head", "calls:list", CallStatus.SCHEDULED, CallKind.GROUP),
        ("head", "calls:approvals", CallStatus.AWAITING_APPROVAL, CallKind.ONE_TO_ONE),
        ("parent_a", "calls:family", CallStatus.SCHEDULED, CallKind.GROUP),
        ("head", "home", CallStatus.AWAITING_APPROVAL, CallKind.ONE_TO_ONE),
    ],
)
def test_lists_use_the_same_number_of_queries_at_ten_times_the_data(
    request, as_user, who, url_name, status, kind, teacher, dsl, child_a, guardian_a, head
):
    client = as_user(request.getfixturevalue(who))
    url = reverse(url_name)
    make_calls(2, host=teacher, second=dsl, pupil=child_a, status=status, kind=kind)
    small = queries_for(client, url)

    make_calls(18, host=teacher, second=dsl, pupil=child_a, status=status, kind=kind)
    large = queries_for(client, url)

    assert small == large


# --- calendar feeds: COM-2 -------------------------------------------------------------------------


@pytest.mark.policy("COM-2")
def test_a_private_calendar_feed_per_person_that_can_be_revoked(as_user, group_call, parent_a, parent_b, teacher):
    page = as_user(parent_a).post(reverse("calls:feed_change"), {"action": "issue"})
    feed_url = page.context["feed_url"]
    path = feed_url.split("://", 1)[1].split("/", 1)[1]

    from django.test import Client

    anonymous = Client()
    feed = anonymous.get(f"/{path}")
    assert feed["Content-Type"].startswith("text/calendar")
    body = feed.content.decode()
    assert "SUMMARY:Year 3 maths (Microsoft Teams)" in body
    assert "teams.example.test" not in body

    as_user(parent_a).post(reverse("calls:feed_change"), {"action": "revoke"})
    assert anonymous.get(f"/{path}").status_code == 404
    staff_feed = as_user(teacher).post(reverse("calls:feed_change"), {"action": "issue"}).context["feed_url"]
    assert "Year 3 maths" in anonymous.get("/" + staff_feed.split("://", 1)[1].split("/", 1)[1]).content.decode()
    other = as_user(parent_b).post(reverse("calls:feed_change"), {"action": "issue"}).context["feed_url"]
    assert "Year 3 maths" not in anonymous.get("/" + other.split("://", 1)[1].split("/", 1)[1]).content.decode()


def test_feed_settings_page(as_user, parent_a):
    assert as_user(parent_a).get(reverse("calls:feed_settings")).status_code == 200


# --- dashboard -----------------------------------------------------------------------------------


@pytest.mark.policy("CALL-2")
def test_single_staffed_group_calls_are_flagged_on_the_heads_dashboard(as_user, book, consented, child_a, head):
    book(pupil_ids=[child_a.pk], second_staff=None, single_staff_reason="Colleague teaching in school.")

    page = as_user(head).get(reverse("home")).content.decode()

    assert "Group calls with one member of staff" in page
    assert "Colleague teaching in school." in page


def test_family_dashboard_asks_for_an_answer(as_user, one_to_one, parent_a):
    page = as_user(parent_a).get(reverse("home")).content.decode()

    assert "Please answer" in page


def test_unrelated_parent_gets_no_join_for_other_children(book, consented, child_a, guardian_a):
    stranger = parent_of(PupilFactory(), email="stranger@example.test")
    book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk])

    assert outbox(to=stranger.email) == []


@pytest.mark.policy("LOG-1")
def test_once_a_call_has_started_its_page_points_its_staff_at_the_session_log(as_user, group_call, teacher):
    before = as_user(teacher).get(reverse("calls:detail", args=[group_call.pk])).content.decode()

    with time_machine.travel(TUESDAY_10 + dt.timedelta(minutes=40), tick=False):
        after = as_user(teacher).get(reverse("calls:detail", args=[group_call.pk])).content.decode()

    assert "Write the session log" not in before
    assert "Write the session log" in after
    assert reverse("sessionlogs:call_log", args=[group_call.pk]) in after
