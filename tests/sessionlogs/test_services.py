"""Session-log and welfare-contact services against the real database: stored rows, versions,
audit entries and outbox messages."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from calls.choices import CallStatus
from consent import services as consent_services
from consent.choices import Scope
from notifications.models import OutboxMessage
from school.models import SchoolSettings
from sessionlogs import services
from sessionlogs.choices import Attendance, ContactMethod, NumberUsed, UnacceptableUse
from sessionlogs.models import MissingLogChase, SessionLog, SessionLogVersion, WelfareContact

from .factories import LONDON, TUESDAY_10AM, join, make_call

pytestmark = pytest.mark.django_db


# --- writing (LOG-1..LOG-3) -----------------------------------------------------------------------


@pytest.mark.policy("LOG-1")
def test_writing_a_log_records_times_staff_and_pupils_and_marks_the_call_held(
    group_call, teacher, child_a, child_a2, log_input, after_call
):
    started = TUESDAY_10AM + dt.timedelta(minutes=2)
    content = log_input(
        group_call,
        started_at=started,
        ended_at=started + dt.timedelta(minutes=25),
        attendance={child_a.pk: Attendance.ADMITTED, child_a2.pk: Attendance.REFUSED_LATE},
    )

    log = services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=content)

    group_call.refresh_from_db()
    assert group_call.status == CallStatus.HELD
    assert (log.started_at, log.length_minutes, log.second_staff_present) == (started, 25, True)
    assert dict(log.pupils.values_list("pupil_id", "outcome")) == {
        child_a.pk: Attendance.ADMITTED,
        child_a2.pk: Attendance.REFUSED_LATE,
    }


@pytest.mark.policy("LOG-1")
def test_join_times_come_from_the_join_gateway(group_call, teacher, child_a, guardian_a, log_input, after_call):
    opened = TUESDAY_10AM - dt.timedelta(minutes=4)
    join(group_call, child_a, guardian_a, at=opened)

    log = services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))

    assert log.pupils.get(pupil=child_a).joined_at == opened


@pytest.mark.policy("LOG-1")
def test_a_log_with_problems_is_refused_and_nothing_is_stored(group_call, teacher, log_input, after_call):
    content = log_input(group_call, second_staff_present=False, ended_at=after_call + dt.timedelta(hours=1))

    with pytest.raises(services.LogRefused) as refused:
        services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=content)

    assert set(refused.value.problems) == {"second_staff_present", "ended_at"}
    assert not SessionLog.objects.exists()
    group_call.refresh_from_db()
    assert group_call.status == CallStatus.SCHEDULED


@pytest.mark.policy("LOG-1")
def test_a_second_log_for_the_same_call_is_refused(group_call, teacher, dsl, log_input, after_call):
    services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))

    with pytest.raises(services.LogError, match="already has a session log"):
        services.write_session_log(call=group_call, written_by=dsl, now=after_call, content=log_input(group_call))


@pytest.mark.policy("GOV-2")
def test_a_teacher_who_was_not_on_the_call_cannot_write_its_log(group_call, teacher_b, log_input, after_call):
    with pytest.raises(services.LogError, match="call's staff"):
        services.write_session_log(call=group_call, written_by=teacher_b, now=after_call, content=log_input(group_call))


@pytest.mark.policy("LOG-2")
def test_a_one_to_one_log_needs_the_parent_spoken_to_first_and_staying(one_to_one, teacher, log_input, after_call):
    with pytest.raises(services.LogRefused) as refused:
        services.write_session_log(
            call=one_to_one,
            written_by=teacher,
            now=after_call,
            content=log_input(one_to_one, spoke_to_parent_first=None, parent_stayed=None),
        )

    assert "spoke_to_parent_first" in refused.value.problems

    log = services.write_session_log(call=one_to_one, written_by=teacher, now=after_call, content=log_input(one_to_one))
    assert (log.spoke_to_parent_first, log.parent_stayed) == (True, True)


@pytest.mark.policy("CON-6")
def test_a_session_is_logged_as_recorded_only_with_every_admitted_pupils_permission(
    teacher, dsl, child_a, child_a2, guardian_a, log_input, after_call
):
    call = make_call(host=teacher, second_staff=dsl, pupils=[child_a, child_a2], record=True)
    consent_services.give_consent(
        pupil=child_a,
        guardian=guardian_a,
        scope=Scope.RECORDING,
        decided_by=guardian_a.user,
        now=TUESDAY_10AM - dt.timedelta(days=3),
    )

    with pytest.raises(services.LogRefused) as refused:
        services.write_session_log(call=call, written_by=teacher, now=after_call, content=log_input(call, recorded=True))
    assert child_a2.full_name in refused.value.problems["recorded"]

    only_a = {child_a.pk: Attendance.ADMITTED, child_a2.pk: Attendance.ABSENT}
    log = services.write_session_log(
        call=call, written_by=teacher, now=after_call, content=log_input(call, recorded=True, attendance=only_a)
    )
    assert log.recorded is True


@pytest.mark.policy("LOG-3")
def test_unacceptable_use_seen_is_recorded(group_call, teacher, log_input, after_call):
    content = log_input(
        group_call,
        unacceptable_use=[UnacceptableUse.LANGUAGE, UnacceptableUse.OTHER],
        unacceptable_use_details="Swearing in the chat; shared a link to a game",
    )

    log = services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=content)

    assert log.unacceptable_use == [UnacceptableUse.LANGUAGE, UnacceptableUse.OTHER]
    assert "Inappropriate language or actions" in log.unacceptable_use_labels


# --- corrections (GOV-3) -----------------------------------------------------------------------------


@pytest.mark.policy("GOV-3")
def test_a_correction_is_a_new_version_and_the_first_is_kept(group_call, teacher, child_a, child_a2, log_input, after_call):
    log = services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))
    later = after_call + dt.timedelta(hours=2)
    fixed = log_input(
        group_call,
        ended_at=group_call.ends_at - dt.timedelta(minutes=10),
        attendance={child_a.pk: Attendance.ADMITTED, child_a2.pk: Attendance.ABSENT},
    )

    services.correct_session_log(log=log, corrected_by=teacher, now=later, content=fixed, reason="Zac never joined")

    log.refresh_from_db()
    first, second = SessionLogVersion.objects.filter(log=log).order_by("number")
    assert (log.version, log.length_minutes, log.corrected_at) == (2, 20, later)
    assert (first.length_minutes, second.length_minutes) == (30, 20)
    assert {a["outcome"] for a in first.attendance} == {Attendance.ADMITTED}
    assert (second.written_by, second.written_at, second.reason) == (teacher, later, "Zac never joined")
    assert log.pupils.get(pupil=child_a2).outcome == Attendance.ABSENT


@pytest.mark.policy("GOV-3")
def test_after_the_window_the_author_cannot_correct_and_the_head_adds_a_note(
    group_call, teacher, head, deputy, log_input, after_call
):
    log = services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))
    too_late = after_call + dt.timedelta(hours=SchoolSettings.load().log_correction_window_hours)

    with pytest.raises(services.LogError, match="corrected for 48 hours"):
        services.correct_session_log(log=log, corrected_by=teacher, now=too_late, content=log_input(group_call), reason="x")
    with pytest.raises(services.LogError, match="Only the headteacher"):
        services.annotate_session_log(log=log, annotated_by=deputy, now=too_late, text="Seen")
    note = services.annotate_session_log(log=log, annotated_by=head, now=too_late, text="Checked with the host.")

    assert note.written_by == head
    assert SessionLogVersion.objects.filter(log=log).count() == 1


@pytest.mark.policy("GOV-3")
def test_someone_else_cannot_correct_a_log(group_call, teacher, dsl, log_input, after_call):
    log = services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))

    with pytest.raises(services.LogError, match="who wrote this log"):
        services.correct_session_log(log=log, corrected_by=dsl, now=after_call, content=log_input(group_call), reason="x")


@pytest.mark.policy("GOV-3")
def test_logs_and_corrections_are_audit_logged(group_call, teacher, log_input, after_call):
    log = services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))
    services.correct_session_log(
        log=log, corrected_by=teacher, now=after_call, content=log_input(group_call, notes="Good"), reason="Added a note"
    )

    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(SessionLog), object_pk=str(log.pk))
    assert entries.count() == 2
    assert "notes" in entries.order_by("timestamp", "pk").last().changes_dict


# --- chasing (LOG-4) ---------------------------------------------------------------------------------------


@pytest.fixture
def heads(head):
    return [head]


@pytest.mark.policy("LOG-4")
def test_the_sweep_reminds_the_host_once_and_after_the_deadline_tells_the_head_once(group_call, teacher, heads, after_call):
    services.chase_missing_logs(now=after_call)
    services.chase_missing_logs(now=after_call + dt.timedelta(hours=1))
    assert list(OutboxMessage.objects.values_list("kind", "recipient_email")) == [("log-reminder", teacher.email)]

    past_deadline = group_call.ends_at + dt.timedelta(hours=24)
    services.chase_missing_logs(now=past_deadline)
    services.chase_missing_logs(now=past_deadline + dt.timedelta(hours=1))

    overdue = OutboxMessage.objects.filter(kind="log-overdue")
    assert [m.recipient_email for m in overdue] == [heads[0].email]
    assert group_call.title in overdue.get().subject
    assert MissingLogChase.objects.get(call=group_call).head_told_at == past_deadline


@pytest.mark.policy("LOG-4")
def test_the_sweep_leaves_calls_with_a_log_and_calls_not_yet_ended(group_call, teacher, heads, log_input, after_call):
    future = make_call(host=teacher, starts_at=TUESDAY_10AM + dt.timedelta(days=1), title="Tomorrow")
    cancelled = make_call(host=teacher, status=CallStatus.CANCELLED, title="Cancelled")
    services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))

    sent = services.chase_missing_logs(now=after_call + dt.timedelta(hours=20))

    assert sent == 0
    assert not OutboxMessage.objects.exists()
    assert not MissingLogChase.objects.filter(call__in=[future, cancelled]).exists()


@pytest.mark.policy("LOG-4")
def test_a_call_first_seen_after_the_deadline_tells_host_and_head_together(group_call, teacher, heads):
    services.chase_missing_logs(now=group_call.ends_at + dt.timedelta(days=3))

    assert sorted(OutboxMessage.objects.values_list("kind", flat=True)) == ["log-overdue", "log-reminder"]


def test_the_beat_task_runs_the_sweep(group_call, teacher, time_machine):
    from sessionlogs.tasks import chase_missing_logs

    time_machine.move_to(group_call.ends_at + dt.timedelta(minutes=5), tick=False)

    assert chase_missing_logs.delay().get() == 1


# --- welfare contacts (LOG-5, CALL-1) -----------------------------------------------------------------------


@pytest.fixture
def welfare(teacher, child_a, guardian_a):
    def _record(**changes):
        values = {
            "pupil": child_a,
            "recorded_by": teacher,
            "now": TUESDAY_10AM + dt.timedelta(hours=1),
            "method": ContactMethod.PHONE,
            "contacted_at": TUESDAY_10AM,
            "duration_minutes": 10,
            "guardian": guardian_a,
            "number_used": NumberUsed.SCHOOL,
            "outcome": "All well; reading every day.",
        }
        return services.record_welfare_contact(**(values | changes))

    return _record


@pytest.mark.policy("LOG-5")
def test_a_welfare_phone_call_is_logged_with_method_time_staff_and_number(school_week, welfare, teacher, child_a):
    contact = welfare()

    stored = WelfareContact.objects.get()
    assert stored == contact
    assert (stored.method, stored.staff, stored.number_used, stored.duration_minutes) == (
        ContactMethod.PHONE,
        teacher,
        NumberUsed.SCHOOL,
        10,
    )
    assert LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(WelfareContact)).count() == 1


@pytest.mark.policy("LOG-5")
def test_a_phone_call_without_the_number_used_is_refused(school_week, welfare):
    with pytest.raises(services.LogRefused) as refused:
        welfare(number_used="")

    assert "number_used" in refused.value.problems
    assert not WelfareContact.objects.exists()


@pytest.mark.policy("LOG-5")
def test_a_home_visit_needs_no_number(school_week, welfare, ddsl):
    contact = welfare(method=ContactMethod.HOME_VISIT, number_used="", staff=ddsl, guardian=None)

    assert (contact.staff, contact.guardian) == (ddsl, None)


@pytest.mark.policy("CALL-1")
def test_a_welfare_contact_outside_school_hours_is_refused(school_week, welfare):
    evening = dt.datetime(2026, 11, 10, 18, 30, tzinfo=LONDON)

    with pytest.raises(services.LogRefused) as refused:
        welfare(contacted_at=evening, now=evening + dt.timedelta(hours=1))

    assert "School hours" in refused.value.problems["contacted_at"]


@pytest.mark.policy("CALL-1")
def test_the_dsl_may_log_a_safeguarding_follow_up_outside_school_hours(school_week, welfare, dsl, teacher):
    evening = dt.datetime(2026, 11, 10, 18, 30, tzinfo=LONDON)

    with pytest.raises(services.LogRefused):
        welfare(contacted_at=evening, now=evening + dt.timedelta(hours=1), safeguarding_follow_up=True)
    contact = welfare(contacted_at=evening, now=evening + dt.timedelta(hours=1), safeguarding_follow_up=True, recorded_by=dsl)

    assert contact.safeguarding_follow_up is True


def test_the_guardian_must_be_the_pupils(school_week, welfare, guardian_b):
    with pytest.raises(services.LogRefused) as refused:
        welfare(guardian=guardian_b)

    assert "guardian" in refused.value.problems


def test_a_contact_preference_is_noted_and_changes_are_audited(child_a, teacher, dsl, now):
    services.set_contact_preference(pupil=child_a, set_by=teacher, now=now, method="phone", notes="Mum works nights")
    preference = services.set_contact_preference(pupil=child_a, set_by=dsl, now=now, method="home_visit")

    assert (preference.method, preference.notes, preference.updated_by) == ("home_visit", "", dsl)
    assert LogEntry.objects.filter(object_pk=str(preference.pk), content_type__model="contactpreference").count() == 2


# --- pre-filling from the platform (seam to platforms.MeetingReport) ------------------------------------------


@pytest.mark.policy("LOG-1")
def test_a_new_log_is_prefilled_from_the_platforms_meeting_report(group_call, child_a, child_a2):
    from platforms.models import MeetingReport
    from sessionlogs import selectors

    started = TUESDAY_10AM + dt.timedelta(minutes=3)
    MeetingReport.objects.create(
        meeting_id="egps-call-x",
        call_ref=str(group_call.pk),
        started_at=started,
        ended_at=started + dt.timedelta(minutes=24),
        attendees=[
            {"user_id": f"pupil-{child_a.pk}", "full_name": child_a.full_name, "role": "VIEWER", "has_video": True},
            {"user_id": f"pupil-{child_a2.pk}", "full_name": child_a2.full_name, "role": "VIEWER", "has_video": False},
        ],
    )

    prefill = selectors.prefill_for(group_call, selectors.invited_pupils(group_call))

    assert (prefill.started_at, prefill.ended_at, prefill.from_platform) == (started, started + dt.timedelta(minutes=24), True)
    assert prefill.attendance[child_a.pk][0] == Attendance.ADMITTED
    assert prefill.attendance[child_a2.pk][0] == Attendance.REFUSED_NO_CAMERA


@pytest.mark.policy("CALL-6")
@pytest.mark.policy("LOG-1")
def test_on_a_platform_that_applies_the_settings_the_log_records_them_all(group_call, settings):
    from calls.choices import Platform
    from calls.platform_settings import ITEM_KEYS
    from sessionlogs import selectors

    settings.PORTAL_PLATFORM = "bigbluebutton"
    settings.PORTAL_BBB_URL = "https://bbb.example.test/bigbluebutton/api/"
    settings.PORTAL_BBB_SECRET = "a-shared-secret-for-the-test-only"  # noqa: S105
    group_call.platform = Platform.BIGBLUEBUTTON
    group_call.save(update_fields=["platform"])

    prefill = selectors.prefill_for(group_call, selectors.invited_pupils(group_call))

    assert set(prefill.checklist_items) == ITEM_KEYS
