"""calls.services against the real database: stored rows, audit entries and outbox messages."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from calls import gateway, services, timetables
from calls.choices import CallKind, CallStatus
from calls.models import Call, CallApproval, CallInvitation, HostChecklistTick, JoinAttempt, JoinLink, ParentAgreement
from calls.services import booking, calendar_feeds, common, join_details, one_to_ones
from consent.choices import Scope
from consent.services import withdraw_consent
from school.models import Closure, SchoolSettings
from tests.calls.conftest import NOW, TUESDAY_10, consent, join_token, london, outbox
from tests.factories import PupilFactory, family_holder, parent_of
from toolkit.dates import day

pytestmark = pytest.mark.django_db


def refused_field(error) -> set[str]:
    return set(error.value.problems)


# --- booking: CALL-1 ---------------------------------------------------------------------------


@pytest.mark.policy("CALL-1")
def test_booking_outside_school_hours_is_refused_and_nothing_is_stored(book, consented, child_a):
    with pytest.raises(services.BookingRefused) as error:
        book(pupil_ids=[child_a.pk], starts_at=london(2026, 11, 10, 16, 0))

    assert refused_field(error) == {"starts_at"}
    assert "School hours on Tuesdays are 08:45 to 15:30" in error.value.problems["starts_at"]
    assert not Call.objects.exists()


@pytest.mark.policy("CALL-1")
def test_booking_on_a_closure_day_is_refused(book, consented, child_a):
    Closure.objects.create(starts_on=dt.date(2026, 11, 10), ends_on=dt.date(2026, 11, 10), reason="INSET day")

    with pytest.raises(services.BookingRefused) as error:
        book(pupil_ids=[child_a.pk])

    assert error.value.problems["starts_at"] == "The school is closed on Tue 10 Nov 2026 (INSET day)."


@pytest.mark.policy("CALL-1")
def test_booking_across_the_october_clock_change(book, consented, child_a):
    before = london(2026, 10, 20, 9, 0)
    sunday_change = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.UTC)

    with pytest.raises(services.BookingRefused) as error:
        book(now=before, pupil_ids=[child_a.pk], starts_at=sunday_change - dt.timedelta(minutes=30), duration_minutes=60)
    # 08:50 on the Monday after is 08:50 GMT (08:50 UTC): inside school hours.
    call = book(now=before, pupil_ids=[child_a.pk], starts_at=dt.datetime(2026, 10, 26, 8, 50, tzinfo=dt.UTC))

    assert "Sunday is not a school day" in error.value.problems["starts_at"]
    assert call.starts_at.astimezone(london(2026, 1, 1).tzinfo).hour == 8
    with pytest.raises(services.BookingRefused) as early:
        book(now=before, title="Too early", pupil_ids=[child_a.pk], starts_at=dt.datetime(2026, 10, 26, 8, 0, tzinfo=dt.UTC))
    assert "08:00 to 08:30" in early.value.problems["starts_at"]


def test_booking_needs_the_minimum_notice(book, consented, child_a):
    row = SchoolSettings.load()
    row.min_booking_notice_hours = 48
    row.save()  # saving clears the cached settings

    with pytest.raises(services.BookingRefused) as error:
        book(pupil_ids=[child_a.pk])

    assert error.value.problems["starts_at"] == "Calls must be booked at least 48 hours ahead."


# --- CALL-2, CALL-3 ------------------------------------------------------------------------------


@pytest.mark.policy("CALL-2")
def test_a_group_call_with_one_member_of_staff_needs_a_recorded_reason(book, consented, child_a):
    with pytest.raises(services.BookingRefused) as error:
        book(pupil_ids=[child_a.pk], second_staff=None)
    call = book(pupil_ids=[child_a.pk], second_staff=None, single_staff_reason="Colleague teaching in school.")

    assert refused_field(error) == {"second_staff"}
    assert call.single_staff_reason == "Colleague teaching in school."


@pytest.mark.policy("CALL-3")
def test_a_one_to_one_needs_two_different_staff(book, consented, child_a, teacher):
    with pytest.raises(services.BookingRefused) as missing:
        book(kind=CallKind.ONE_TO_ONE, pupil_ids=[child_a.pk], second_staff=None, single_staff_reason="None free")
    with pytest.raises(services.BookingRefused) as same:
        book(kind=CallKind.ONE_TO_ONE, pupil_ids=[child_a.pk], second_staff=teacher)

    assert missing.value.problems["second_staff"] == "A one-to-one call always needs a second member of staff."
    assert same.value.problems["second_staff"] == "A one-to-one call needs two different members of staff."


def test_nobody_is_booked_into_two_overlapping_calls(book, consented, child_a, child_b, teacher_b, ddsl):
    book(pupil_ids=[child_a.pk])

    with pytest.raises(services.BookingRefused) as staff_clash:
        book(pupil_ids=[child_b.pk], starts_at=TUESDAY_10 + dt.timedelta(minutes=15))
    with pytest.raises(services.BookingRefused) as pupil_clash:
        book(pupil_ids=[child_a.pk], host=teacher_b, second_staff=ddsl, starts_at=TUESDAY_10 + dt.timedelta(minutes=29))
    back_to_back = book(pupil_ids=[child_a.pk], starts_at=TUESDAY_10 + dt.timedelta(minutes=30))

    assert "Tara Teacher" in staff_clash.value.problems["starts_at"]
    assert "Amelia Adams" in pupil_clash.value.problems["starts_at"]
    assert back_to_back.pk


def test_only_staff_book_calls(book, consented, child_a, parent_a):
    with pytest.raises(services.CallError, match="must be a member of staff"):
        book(booked_by=parent_a, pupil_ids=[child_a.pk])


# --- CON-1, CON-6, COM-1, COM-8 at booking -----------------------------------------------------


@pytest.mark.policy("CON-1")
def test_pupils_without_consent_are_left_out(book, school_week, child_a, guardian_a, child_b):
    consent(child_a, guardian_a)

    call = book(pupil_ids=[child_a.pk, child_b.pk])

    assert list(call.invitations.filter(removed_at__isnull=True).values_list("pupil_id", flat=True)) == [child_a.pk]
    left_out = call.invitations.get(pupil=child_b)
    assert left_out.removed_reason == booking.LEFT_OUT


@pytest.mark.policy("CON-1")
def test_a_one_to_one_with_a_pupil_without_consent_is_refused(book, school_week, child_b):
    with pytest.raises(services.BookingRefused) as error:
        book(kind=CallKind.ONE_TO_ONE, pupil_ids=[child_b.pk])

    assert "no consent for video calls" in error.value.problems["pupils"]


@pytest.mark.policy("CON-6")
def test_recording_is_refused_unless_every_pupil_has_recording_permission(book, consented, child_a, guardian_a, child_b):
    consent(child_a, guardian_a, Scope.RECORDING)

    with pytest.raises(services.BookingRefused) as error:
        book(pupil_ids=[child_a.pk, child_b.pk], record=True)
    recorded = book(pupil_ids=[child_a.pk], record=True)

    assert error.value.problems["record"] == "This call cannot be recorded: no recording permission for Ben Brown."
    assert recorded.record


@pytest.mark.policy("COM-1")
@pytest.mark.policy("COM-8")
def test_each_family_is_told_what_when_where_and_with_whom(book, consented, child_a, child_b, guardian_a, guardian_b):
    book(pupil_ids=[child_a.pk, child_b.pk])

    notices = outbox("call-notice")

    assert sorted(m.recipient_email for m in notices) == sorted([guardian_a.email, guardian_b.email])
    body = notices[0].body_text
    for fact in (
        "Year 3 maths",
        f"{day(london(2026, 11, 10, 10, 0))}, 10:00 to 10:30 (UK time)",
        "Microsoft Teams",
        "Counting games together.",
        "Tara Teacher and Sarah Lead",
        "Childline",
    ):
        assert fact in body
    assert "teams.example.test" not in body
    assert "s3cret-pass" not in body


@pytest.mark.policy("COM-4")
def test_family_email_never_goes_to_a_pupils_own_address(book, consented, child_a):
    book(pupil_ids=[child_a.pk])
    join_details.send_due_join_details(now=TUESDAY_10 - dt.timedelta(hours=1))

    assert child_a.personal_email not in {m.recipient_email for m in outbox()}
    assert all(m.cc == [] for m in outbox("call-join"))


# --- GOV-3: audit, without secrets -------------------------------------------------------------


def test_calls_are_audited_without_the_meeting_link_or_passcode(book, consented, child_a):
    call = book(pupil_ids=[child_a.pk])
    booking.set_meeting_details(call=call, changed_by=call.host, meeting_url="https://x.example.test/new", passcode="other")

    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Call), object_pk=str(call.pk))

    assert entries.exists()
    text = " ".join(str(e.changes) for e in entries)
    assert "teams.example.test" not in text
    assert "s3cret-pass" not in text
    assert "x.example.test" not in text


# --- the one-to-one flow: CALL-4, CALL-5 ---------------------------------------------------------


@pytest.mark.policy("CALL-4")
def test_a_one_to_one_asks_the_parent_and_sends_no_join_details(one_to_one, guardian_a):
    sent = join_details.send_due_join_details(now=TUESDAY_10 - dt.timedelta(minutes=30))

    assert one_to_one.status == CallStatus.AWAITING_PARENT
    assert [m.recipient_email for m in outbox("call-agreement-request")] == [guardian_a.email]
    assert sent == 0
    assert not outbox("call-join")


@pytest.mark.policy("CALL-4")
def test_join_details_go_out_only_once_agreed_and_approved(one_to_one, guardian_a, parent_a, deputy):
    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=True)
    join_details.send_due_join_details(now=TUESDAY_10 - dt.timedelta(hours=1))
    before_approval = outbox("call-join")
    one_to_ones.approve_call(call=one_to_one, approver=deputy, now=TUESDAY_10 - dt.timedelta(hours=1))

    one_to_one.refresh_from_db()
    assert before_approval == []
    assert one_to_one.status == CallStatus.SCHEDULED
    assert [m.recipient_email for m in outbox("call-join")] == [guardian_a.email]


@pytest.mark.policy("CALL-4")
def test_nobody_approves_a_call_they_booked_or_staff(one_to_one, guardian_a, parent_a, teacher, deputy, head):
    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=True)
    one_to_one.refresh_from_db()
    one_to_one.booked_by, one_to_one.second_staff = deputy, head
    one_to_one.save()

    for person in (teacher, deputy, head):
        with pytest.raises(services.CallError):
            one_to_ones.approve_call(call=one_to_one, approver=person, now=NOW)

    one_to_one.refresh_from_db()
    assert one_to_one.status == CallStatus.AWAITING_APPROVAL
    assert not CallApproval.objects.exists()


@pytest.mark.policy("CALL-4")
def test_approval_waits_for_the_parent(one_to_one, head):
    with pytest.raises(services.CallError, match="not awaiting approval"):
        one_to_ones.approve_call(call=one_to_one, approver=head, now=NOW)


@pytest.mark.policy("CALL-4")
def test_only_a_guardian_with_parental_responsibility_answers(one_to_one, child_a):
    stranger = parent_of(PupilFactory())
    no_pr = parent_of(child_a, parental_responsibility=False)

    for guardian in (stranger, no_pr):
        with pytest.raises(services.CallError, match="parental responsibility"):
            one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian, decided_by=guardian.user, now=NOW, agree=True)


def test_a_parent_declining_returns_the_call_to_the_host(one_to_one, guardian_a, parent_a, teacher):
    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=False)

    one_to_one.refresh_from_db()
    assert one_to_one.status == CallStatus.DRAFT
    assert [m.recipient_email for m in outbox("call-agreement-decided")] == [teacher.email]


def test_declining_needs_a_reason_which_the_host_is_told(one_to_one, guardian_a, parent_a, head, teacher):
    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=True)

    with pytest.raises(services.CallError, match="reason"):
        one_to_ones.decline_call(call=one_to_one, approver=head, now=NOW, reason=" ")
    one_to_ones.decline_call(call=one_to_one, approver=head, now=NOW, reason="Use the school phone instead.")

    one_to_one.refresh_from_db()
    assert one_to_one.status == CallStatus.DRAFT
    assert "Use the school phone instead." in outbox("call-approval-decided", to=teacher.email)[0].body_text


@pytest.mark.policy("CALL-5")
def test_changing_the_time_voids_agreement_and_approval_and_asks_again(scheduled_one_to_one, guardian_a, teacher):
    join_details.send_due_join_details(now=TUESDAY_10 - dt.timedelta(hours=1))
    new_time = london(2026, 11, 11, 11, 0)

    booking.change_call_time(call=scheduled_one_to_one, changed_by=teacher, now=NOW, starts_at=new_time, duration_minutes=30)

    call = Call.objects.get(pk=scheduled_one_to_one.pk)
    assert call.status == CallStatus.AWAITING_PARENT
    assert call.version == 2
    assert not ParentAgreement.objects.filter(call=call, voided_at__isnull=True).exists()
    assert not CallApproval.objects.filter(call=call, voided_at__isnull=True).exists()
    assert not JoinLink.objects.active().filter(call=call).exists()
    assert len(outbox("call-agreement-request", to=guardian_a.email)) == 2
    assert f"{day(london(2026, 11, 11, 11, 0))}, 11:00" in outbox("call-agreement-request")[-1].body_text


# --- join details: COM-4, CON-1 ------------------------------------------------------------------


@pytest.mark.policy("CON-1")
@pytest.mark.policy("COM-4")
def test_a_parent_of_a_pupil_without_consent_never_receives_join_details(
    book, school_week, child_a, guardian_a, child_b, guardian_b
):
    consent(child_a, guardian_a)
    book(pupil_ids=[child_a.pk, child_b.pk])

    join_details.send_due_join_details(now=TUESDAY_10 - dt.timedelta(hours=2))

    assert outbox(to=guardian_b.email) == []
    assert [m.recipient_email for m in outbox("call-join")] == [guardian_a.email]


@pytest.mark.policy("COM-4")
def test_join_details_go_out_once_per_guardian_per_pupil_at_the_lead_time(book, consented, child_a, guardian_a):
    second = parent_of(child_a, email="other-parent@example.test")
    book(pupil_ids=[child_a.pk])

    early = join_details.send_due_join_details(now=TUESDAY_10 - dt.timedelta(hours=25))
    due = join_details.send_due_join_details(now=TUESDAY_10 - dt.timedelta(hours=24))
    again = join_details.send_due_join_details(now=TUESDAY_10 - dt.timedelta(hours=1))

    assert (early, due, again) == (0, 2, 0)
    assert sorted(m.recipient_email for m in outbox("call-join")) == sorted([guardian_a.email, second.email])
    assert JoinLink.objects.active().count() == 2


@pytest.mark.policy("COM-4")
def test_a_late_booking_sends_join_details_at_once(book, consented, child_a, guardian_a):
    book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk])

    assert [m.recipient_email for m in outbox("call-join")] == [guardian_a.email]


def test_join_links_store_only_a_hash_of_the_token(book, consented, child_a):
    book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk])

    token = join_token(outbox("call-join")[0])

    link = JoinLink.objects.get()
    assert token not in link.token_hash
    assert link.token_hash == common.hash_token(token)
    assert len(token) >= 40


@pytest.mark.policy("CALL-6")
def test_opening_a_link_is_checked_at_that_moment_and_recorded(book, consented, child_a):
    book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk])
    token = join_token(outbox("call-join")[0])

    early = gateway.open_join_link(token=token, now=TUESDAY_10 - dt.timedelta(minutes=16), holder=family_holder(token))
    inside = gateway.open_join_link(token=token, now=TUESDAY_10 - dt.timedelta(minutes=10), holder=family_holder(token))
    locked = gateway.open_join_link(token=token, now=TUESDAY_10 + dt.timedelta(minutes=5), holder=family_holder(token))

    assert (early.allowed, inside.allowed, locked.allowed) == (False, True, False)
    assert inside.platform_url == "https://teams.example.test/meet/abc"
    assert early.platform_url == ""
    assert list(JoinAttempt.objects.values_list("allowed", flat=True)) == [False, True, False]
    assert "opens at 09:45" in JoinAttempt.objects.first().reason


def test_the_platform_link_comes_from_the_gateway_at_join_time(book, consented, child_a, monkeypatch):
    from calls import gateway
    from calls.choices import Platform

    book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk], platform=Platform.BIGBLUEBUTTON)
    token = join_token(outbox("call-join")[0])
    monkeypatch.setattr(gateway, "bigbluebutton_link", lambda call, pupil, now: f"https://bbb.example.test/{pupil.pk}")
    outcome = gateway.open_join_link(token=token, now=TUESDAY_10, holder=family_holder(token))
    refusal = gateway.PlatformAnswer(url="https://bbb.example.test/x", refusal="Two staff must be in the call first.")
    monkeypatch.setattr(gateway, "bigbluebutton_link", lambda call, pupil, now: refusal)
    refused = gateway.open_join_link(token=token, now=TUESDAY_10, holder=family_holder(token))

    assert outcome.platform_url == f"https://bbb.example.test/{child_a.pk}"
    assert not refused.allowed
    assert refused.reason == "Two staff must be in the call first."
    assert refused.platform_url == ""


def test_no_meeting_link_yet_is_a_plain_refusal(book, consented, child_a):
    book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk], meeting_url="")

    token = join_token(outbox("call-join")[0])
    outcome = gateway.open_join_link(token=token, now=TUESDAY_10, holder=family_holder(token))

    assert not outcome.allowed
    assert "not added the meeting link" in outcome.reason


@pytest.mark.policy("COM-4")
def test_a_guardian_who_loses_parental_responsibility_cannot_use_their_link(book, consented, child_a, guardian_a):
    book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk])
    token = join_token(outbox("call-join")[0])
    guardian_a.guardianships.update(parental_responsibility=False)

    outcome = gateway.open_join_link(token=token, now=TUESDAY_10, holder=family_holder(token))

    assert not outcome.allowed
    assert "no longer receives join details" in outcome.reason


def test_an_unknown_token_is_not_found(db):
    with pytest.raises(gateway.JoinLinkNotFound):
        gateway.open_join_link(token="nope", now=NOW, holder=family_holder("nope"))


# --- consent withdrawn: CON-3 -------------------------------------------------------------------


@pytest.mark.policy("CON-3")
@pytest.mark.policy("CON-1")
def test_withdrawal_removes_the_pupil_revokes_links_and_tells_the_host(book, consented, child_a, child_b, guardian_a, teacher):
    call = book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk, child_b.pk])
    token = join_token(outbox("call-join", to=guardian_a.email)[0])

    withdraw_consent(
        pupil=child_a,
        guardian=guardian_a,
        scope=Scope.VIDEO_CALLS,
        decided_by=guardian_a.user,
        now=TUESDAY_10 - dt.timedelta(hours=1),
    )

    invitation = CallInvitation.objects.get(call=call, pupil=child_a)
    assert invitation.removed_at is not None
    assert "withdrawn" in invitation.removed_reason
    assert not JoinLink.objects.active().filter(pupil=child_a).exists()
    assert JoinLink.objects.active().filter(pupil=child_b).exists()
    assert "Amelia Adams" in outbox("call-pupil-removed", to=teacher.email)[0].body_text
    refused = gateway.open_join_link(token=token, now=TUESDAY_10, holder=family_holder(token))
    assert not refused.allowed


@pytest.mark.policy("CON-3")
def test_after_withdrawal_no_further_join_details_go_out(book, consented, child_a, guardian_a):
    book(pupil_ids=[child_a.pk])

    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=NOW)
    join_details.send_due_join_details(now=TUESDAY_10 - dt.timedelta(hours=1))

    assert outbox("call-join") == []


@pytest.mark.policy("CON-3")
def test_withdrawal_cancels_a_one_to_one(scheduled_one_to_one, child_a, guardian_a):
    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=NOW)

    scheduled_one_to_one.refresh_from_db()
    assert scheduled_one_to_one.status == CallStatus.CANCELLED


@pytest.mark.policy("CON-6")
def test_withdrawing_recording_permission_stops_recording(book, consented, child_a, guardian_a, teacher):
    consent(child_a, guardian_a, Scope.RECORDING)
    call = book(pupil_ids=[child_a.pk], record=True)

    withdraw_consent(pupil=child_a, guardian=guardian_a, scope=Scope.RECORDING, decided_by=guardian_a.user, now=NOW)

    call.refresh_from_db()
    assert call.record is False
    assert outbox("call-recording-off", to=teacher.email)


# --- COM-2: changes, cancellations, timetables ---------------------------------------------------


@pytest.mark.policy("COM-2")
def test_moving_a_group_call_tells_every_family_and_replaces_join_links(book, consented, child_a, guardian_a, teacher):
    call = book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk])
    old_token = join_token(outbox("call-join")[0])

    booking.change_call_time(
        call=call,
        changed_by=teacher,
        now=TUESDAY_10 - dt.timedelta(hours=2),
        starts_at=TUESDAY_10 + dt.timedelta(hours=1),
        duration_minutes=45,
    )

    assert [m.recipient_email for m in outbox("call-changed")] == [guardian_a.email]
    assert "11:00 to 11:45" in outbox("call-changed")[0].body_text
    assert len(outbox("call-join")) == 2
    later = TUESDAY_10 + dt.timedelta(hours=1)
    assert not gateway.open_join_link(token=old_token, now=later, holder=family_holder(old_token)).allowed


@pytest.mark.policy("CALL-1")
def test_moving_a_call_checks_the_rules_again(book, consented, child_a, teacher):
    call = book(pupil_ids=[child_a.pk])

    with pytest.raises(services.BookingRefused) as error:
        booking.change_call_time(
            call=call, changed_by=teacher, now=NOW, starts_at=london(2026, 11, 14, 10, 0), duration_minutes=30
        )

    assert "Saturday is not a school day" in error.value.problems["starts_at"]


@pytest.mark.policy("COM-2")
def test_cancelling_tells_every_family_and_stops_join_links(book, consented, child_a, child_b, guardian_a, guardian_b, teacher):
    call = book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk, child_b.pk])

    with pytest.raises(services.CallError, match="reason"):
        booking.cancel_call(call=call, cancelled_by=teacher, now=NOW, reason="")
    booking.cancel_call(call=call, cancelled_by=teacher, now=NOW, reason="Teacher unwell.")

    assert sorted(m.recipient_email for m in outbox("call-cancelled")) == sorted([guardian_a.email, guardian_b.email])
    assert not JoinLink.objects.active().exists()
    with pytest.raises(services.CallError):
        booking.cancel_call(call=call, cancelled_by=teacher, now=NOW, reason="Again")


@pytest.mark.policy("COM-2")
@pytest.mark.policy("COM-8")
def test_weekly_timetable_lists_the_coming_week_once_per_guardian(book, consented, child_a, child_b, guardian_a, teacher_b, ddsl):
    book(pupil_ids=[child_a.pk])
    book(pupil_ids=[child_a.pk], title="Year 3 art", starts_at=london(2026, 11, 12, 13, 0))
    book(pupil_ids=[child_b.pk], host=teacher_b, second_staff=ddsl, starts_at=london(2026, 11, 17, 13, 0))
    friday = london(2026, 11, 6, 16, 0)

    first = timetables.send_weekly_timetables(now=friday)
    second = timetables.send_weekly_timetables(now=friday + dt.timedelta(days=1))

    mail = outbox("timetable-weekly")
    assert (first, len(mail)) == (1, 1)
    assert second == 1
    assert len(outbox("timetable-weekly")) == 1
    assert mail[0].recipient_email == guardian_a.email
    assert "Year 3 maths" in mail[0].body_text
    assert "Year 3 art" in mail[0].body_text
    assert "Childline" in mail[0].body_text


# --- CALL-6: the host's checklist ----------------------------------------------------------------


@pytest.mark.policy("CALL-6")
def test_the_hosts_tick_the_platform_settings(book, consented, child_a, teacher, dsl, head):
    call = book(pupil_ids=[child_a.pk])

    booking.tick_checklist(call=call, item="waiting_room", ticked_by=teacher, now=NOW)
    booking.tick_checklist(call=call, item="waiting_room", ticked_by=dsl, now=NOW)
    booking.tick_checklist(call=call, item="mute_on_entry", ticked_by=dsl, now=NOW)
    booking.tick_checklist(call=call, item="mute_on_entry", ticked_by=dsl, now=NOW, ticked=False)

    assert list(HostChecklistTick.objects.values_list("item", "ticked_by")) == [("waiting_room", teacher.pk)]
    with pytest.raises(services.CallError):
        booking.tick_checklist(call=call, item="waiting_room", ticked_by=head, now=NOW)
    with pytest.raises(services.CallError):
        booking.tick_checklist(call=call, item="not-a-setting", ticked_by=teacher, now=NOW)


def test_a_held_call_revokes_its_links(book, consented, child_a, teacher):
    call = book(now=TUESDAY_10 - dt.timedelta(hours=2), pupil_ids=[child_a.pk])

    booking.mark_call_held(call=call, by=teacher, now=TUESDAY_10 + dt.timedelta(minutes=40))

    call.refresh_from_db()
    assert call.status == CallStatus.HELD
    assert not JoinLink.objects.active().exists()
    with pytest.raises(services.CallError):
        booking.mark_call_held(call=call, by=teacher, now=NOW)


# --- calendar feeds ----------------------------------------------------------------------------


def test_a_new_calendar_address_replaces_the_old_one(teacher):
    first = calendar_feeds.issue_calendar_feed(user=teacher, now=NOW)
    second = calendar_feeds.issue_calendar_feed(user=teacher, now=NOW)

    assert first != second
    assert teacher.calendar_feeds.filter(revoked_at__isnull=True).count() == 1
