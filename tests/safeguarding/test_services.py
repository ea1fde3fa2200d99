"""Writes about concerns: rows, chronology, alerts (without details) and escalation."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from notifications.models import OutboxMessage
from safeguarding import selectors, services, tasks
from safeguarding.choices import AccessPurpose, ActionKind, AlertReason, ConcernKind, EntryKind, Outcome
from safeguarding.models import ConcernAccess, ConcernAlert, ConcernEntry, DslAbsence, PupilFileExport
from school.models import SchoolSettings

from .conftest import ACTION_TAKEN, CHILDS_WORDS, WHAT_HAPPENED

pytestmark = pytest.mark.django_db


def alerts_to(user):
    return OutboxMessage.objects.filter(recipient_email=user.email, kind__startswith="concern-")


def assert_no_details(message, concern):
    everything = f"{message.subject}\n{message.body_text}\n{message.body_html}"
    for pupil in concern.pupils.all():
        assert pupil.first_name not in everything
        assert pupil.last_name not in everything
    for secret in (WHAT_HAPPENED, CHILDS_WORDS, ACTION_TAKEN, concern.reference, concern.reported_by.last_name):
        assert secret not in everything
    assert f"/safeguarding/concerns/{concern.pk}/" in message.body_text


@pytest.mark.policy("SG-1")
def test_raising_a_concern_records_what_when_who_and_what_was_done(raise_one, dsl, teacher, child_a, child_b, now):
    concern = raise_one(now=now, pupils=[child_a, child_b], source_call_id=41)

    concern.refresh_from_db()
    assert concern.reported_by == teacher
    assert concern.raised_at == now
    assert set(concern.pupils.all()) == {child_a, child_b}
    assert (concern.what_happened, concern.childs_words, concern.action_taken) == (WHAT_HAPPENED, CHILDS_WORDS, ACTION_TAKEN)
    assert concern.source_call_id == 41
    assert concern.reference.startswith("SC-")


@pytest.mark.policy("SG-1")
def test_a_disclosure_without_the_childs_words_is_refused(raise_one, dsl, now):
    with pytest.raises(services.ConcernError, match="child's own words"):
        raise_one(now=now, childs_words="")


@pytest.mark.policy("SG-1")
def test_a_concern_is_only_about_pupils_on_roll(raise_one, dsl, child_a, now):
    child_a.left_on = now.date()
    child_a.save()

    with pytest.raises(services.ConcernError, match="on roll"):
        raise_one(now=now)


@pytest.mark.policy("SG-2")
def test_a_new_concern_alerts_the_dsl_at_once_without_details(
    raise_one, dsl, ddsl, head, now, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        concern = raise_one(now=now)

    (message,) = alerts_to(dsl)
    assert message.kind == "concern-alert"
    assert_no_details(message, concern)
    assert not alerts_to(ddsl).exists()
    assert not alerts_to(head).exists()
    assert [m.to for m in mailoutbox] == [[dsl.email]]
    assert ConcernAlert.objects.get().reason == AlertReason.NEW


@pytest.mark.policy("SG-2")
def test_with_the_dsl_marked_unavailable_the_alert_goes_to_the_deputy_dsl(raise_one, dsl, ddsl, now):
    services.mark_unavailable(
        user=dsl, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=2), reason="Course",
        recorded_by=dsl, now=now,
    )  # fmt: skip

    concern = raise_one(now=now)

    assert not alerts_to(dsl).exists()
    (message,) = alerts_to(ddsl)
    assert "Designated Safeguarding Lead is marked unavailable" in message.body_text
    assert_no_details(message, concern)
    assert ConcernAlert.objects.get().reason == AlertReason.DSL_UNAVAILABLE


@pytest.mark.policy("SG-2")
def test_after_the_unavailability_ends_alerts_go_to_the_dsl_again(raise_one, dsl, ddsl, now):
    absence = services.mark_unavailable(
        user=dsl, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=2), reason="", recorded_by=dsl, now=now
    )
    services.end_unavailability(absence=absence, by=dsl, now=now)

    raise_one(now=now + dt.timedelta(seconds=1))

    assert alerts_to(dsl).count() == 1
    assert not alerts_to(ddsl).exists()


def test_a_period_not_yet_begun_is_cancelled_outright(dsl, now):
    absence = services.mark_unavailable(
        user=dsl, starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=2), reason="", recorded_by=dsl, now=now
    )

    services.end_unavailability(absence=absence, by=dsl, now=now)

    assert not DslAbsence.objects.exists()


def test_unavailability_must_end_after_it_starts_and_in_the_future(dsl, now):
    with pytest.raises(services.ConcernError, match="after the start"):
        services.mark_unavailable(user=dsl, starts_at=now, ends_at=now, reason="", recorded_by=dsl, now=now)
    with pytest.raises(services.ConcernError, match="already ended"):
        services.mark_unavailable(
            user=dsl,
            starts_at=now - dt.timedelta(days=2),
            ends_at=now - dt.timedelta(days=1),
            reason="",
            recorded_by=dsl,
            now=now,
        )


@pytest.mark.policy("SG-1")
def test_the_reporter_adds_further_information_and_the_dsl_is_told(concern, teacher, dsl, now):
    entry = services.add_further_information(concern=concern, added_by=teacher, text="She also mentioned her brother", now=now)

    assert entry.kind == EntryKind.FURTHER_INFORMATION
    assert entry.recorded_by == teacher
    message = alerts_to(dsl).get(kind="concern-further-information")
    assert "brother" not in message.body_text


@pytest.mark.policy("SG-1")
def test_only_the_reporter_adds_further_information(concern, teacher_b, now):
    with pytest.raises(services.ConcernError):
        services.add_further_information(concern=concern, added_by=teacher_b, text="Hearsay", now=now)


@pytest.mark.policy("SG-4")
def test_the_dsl_acknowledges_acts_and_closes_each_as_a_dated_entry(concern, dsl, ddsl, now):
    services.acknowledge(concern=concern, by=dsl, now=now)
    services.record_action(
        concern=concern, by=ddsl, action=ActionKind.PHONE_CALL, text="Spoke to mum", now=now + dt.timedelta(minutes=5)
    )
    services.add_note(concern=concern, by=dsl, text="Mum supportive", now=now + dt.timedelta(minutes=6))
    services.close_concern(concern=concern, by=dsl, outcome=Outcome.EARLY_HELP, text="", now=now + dt.timedelta(minutes=7))

    entries = list(ConcernEntry.objects.filter(concern=concern).values_list("kind", "action", "outcome", "recorded_by"))
    assert entries == [
        (EntryKind.ACKNOWLEDGED, "", "", dsl.pk),
        (EntryKind.ACTION, ActionKind.PHONE_CALL, "", ddsl.pk),
        (EntryKind.NOTE, "", "", dsl.pk),
        (EntryKind.CLOSED, "", Outcome.EARLY_HELP, dsl.pk),
    ]


@pytest.mark.policy("SG-4")
def test_a_concern_is_acknowledged_once_and_closed_only_after_acknowledgement(concern, dsl, ddsl, now):
    with pytest.raises(services.ConcernError, match="Acknowledge"):
        services.close_concern(concern=concern, by=dsl, outcome=Outcome.OTHER, text="", now=now)
    services.acknowledge(concern=concern, by=dsl, now=now)

    with pytest.raises(services.ConcernError, match="already been acknowledged"):
        services.acknowledge(concern=concern, by=ddsl, now=now)


@pytest.mark.policy("SG-4")
def test_a_correction_is_a_new_entry_pointing_at_the_old_one(concern, dsl, now):
    note = services.add_note(concern=concern, by=dsl, text="Spoke to dad", now=now)

    correction = services.correct_entry(entry=note, by=dsl, text="It was the stepfather, not dad", now=now)

    note.refresh_from_db()
    assert note.text == "Spoke to dad"
    assert correction.corrects == note
    assert correction.kind == EntryKind.CORRECTION


@pytest.mark.policy("SG-3")
def test_reading_a_chronology_or_exporting_a_file_is_recorded(concern, dsl, child_a, now):
    services.read_pupil_chronology(events=selectors.chronology_events(child_a), user=dsl, now=now)
    pdf = services.export_pupil_file(pupil=child_a, by=dsl, now=now)

    assert pdf.startswith(b"%PDF")
    purposes = set(ConcernAccess.objects.filter(concern=concern, user=dsl).values_list("purpose", flat=True))
    assert purposes == {AccessPurpose.CHRONOLOGY, AccessPurpose.EXPORTED}
    export = PupilFileExport.objects.get()
    assert (export.pupil, export.exported_by, export.concern_count) == (child_a, dsl, 1)


@pytest.mark.policy("SG-5")
def test_an_unacknowledged_concern_escalates_to_deputies_and_head_after_the_set_time(raise_one, dsl, ddsl, head, now):
    SchoolSettings.objects.update_or_create(pk=1, defaults={"concern_ack_minutes": 30})
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC), tick=False):
        concern = raise_one(now=timezone.now())

    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 29, tzinfo=dt.UTC), tick=False):
        assert tasks.escalate_overdue_concerns() == 0
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 31, tzinfo=dt.UTC), tick=False):
        assert tasks.escalate_overdue_concerns() == 1
        assert tasks.escalate_overdue_concerns() == 0  # the next sweep changes nothing

    for person in (ddsl, head):
        (message,) = alerts_to(person).filter(kind="concern-escalation")
        assert_no_details(message, concern)
    assert not alerts_to(dsl).filter(kind="concern-escalation").exists()
    assert concern.entries.get(kind=EntryKind.ESCALATED).recorded_by is None


@pytest.mark.policy("SG-5")
def test_an_acknowledged_concern_does_not_escalate(concern, dsl, ddsl, head, now):
    services.acknowledge(concern=concern, by=dsl, now=now)

    with time_machine.travel(now + dt.timedelta(hours=3), tick=False):
        assert tasks.escalate_overdue_concerns() == 0

    assert not OutboxMessage.objects.filter(kind="concern-escalation").exists()


def test_concern_kinds_cover_the_policy():
    assert set(ConcernKind.values) == {"seen_or_heard", "disclosure", "other"}
    assert {"phone_call", "home_visit", "social_care", "police", "early_help", "monitoring"} <= set(ActionKind.values)


def test_the_pdf_prints_markup_in_concern_text_rather_than_parsing_it(raise_one, dsl, child_a, now):
    raise_one(now=now, what_happened='He said <b>stop</b> & cried; "don\'t tell"\nNew line')

    pdf = services.export_pupil_file(pupil=child_a, by=dsl, now=now)

    assert pdf.startswith(b"%PDF")


@pytest.mark.policy("SG-5")
def test_the_dashboard_counts_agree_with_the_state_filters(raise_one, dsl, now):
    from safeguarding.models import Concern

    raise_one(now=now - dt.timedelta(minutes=5))
    raise_one(now=now - dt.timedelta(hours=3))
    acknowledged = raise_one(now=now - dt.timedelta(hours=2))
    services.acknowledge(concern=acknowledged, by=dsl, now=now - dt.timedelta(hours=1))
    closed = raise_one(now=now - dt.timedelta(hours=4))
    services.acknowledge(concern=closed, by=dsl, now=now - dt.timedelta(hours=3))
    services.close_concern(concern=closed, by=dsl, outcome=Outcome.EARLY_HELP, text="", now=now - dt.timedelta(hours=2))

    counts = selectors.counts(now=now, ack_minutes=60)

    assert counts == {"new": 2, "overdue": 1, "acknowledged": 1, "open": 3}
    for state, number in counts.items():
        assert selectors.filter_state(Concern.objects.all(), state, now=now, ack_minutes=60).count() == number
