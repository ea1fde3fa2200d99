"""Retention (GOV-4): the dry run lists exactly the records past their period; the sweep removes
them and writes a report; what is not yet due stays."""

import datetime as dt
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.db import connection, transaction

from consent.models import ConsentDecision
from governance import policy
from governance.models import RetentionRun
from notifications.models import OutboxMessage
from oversight import retention, services
from tests.factories import PupilFactory, parent_of
from tests.governance.conftest import london

pytestmark = pytest.mark.django_db

NOW = london(2026, 11, 28, 3, 0)


def _outbox(key, created_at):
    message = OutboxMessage.objects.create(kind="k", recipient_email="x@example.test", subject="s", body_text="b", dedupe_key=key)
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=created_at)  # auto_now_add: set the age by hand
    return message


@pytest.fixture
def data_set(head, class_a):
    """Records on both sides of each period."""
    old_email = _outbox("old", NOW - dt.timedelta(days=366))
    new_email = _outbox("new", NOW - dt.timedelta(days=300))
    long_gone = PupilFactory(school_class=class_a, left_on=dt.date(2023, 9, 1))  # left over 3 years ago
    recently_gone = PupilFactory(school_class=class_a, left_on=dt.date(2024, 7, 20))
    on_roll = PupilFactory(school_class=class_a)
    decisions = {}
    for pupil in (long_gone, recently_gone, on_roll):
        guardian = parent_of(pupil)
        decisions[pupil.pk] = ConsentDecision.objects.create(
            pupil=pupil,
            guardian=guardian,
            scope="video_calls",
            decision="given",
            decided_at=london(2021, 9, 10, 9, 0),
            entered_by=guardian.user,
        )
    return {
        "expired": {("outbox_messages", old_email.pk), ("consent_history", decisions[long_gone.pk].pk)},
        "kept": {new_email.pk, decisions[recently_gone.pk].pk, decisions[on_roll.pk].pk},
        "kept_decisions": {decisions[recently_gone.pk].pk, decisions[on_roll.pk].pk},
    }


def _listed():
    return {(c.record_type, c.pk) for c in retention.dry_run(NOW) if c.record_type != "audit_log"}


@pytest.mark.policy("GOV-4")
def test_dry_run_lists_exactly_the_records_past_their_period(data_set):
    assert _listed() == data_set["expired"]


@pytest.mark.policy("GOV-4")
def test_the_command_dry_run_prints_them_and_changes_nothing(data_set):
    out = StringIO()

    call_command("retention", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "would be removed" in text
    assert OutboxMessage.objects.count() == 2
    assert ConsentDecision.objects.count() == 3
    assert RetentionRun.objects.count() == 0


@pytest.mark.policy("GOV-4")
def test_the_sweep_removes_what_expired_keeps_the_rest_and_reports(data_set, head):
    run = services.run_retention(now=NOW, by=head)

    assert list(OutboxMessage.objects.values_list("kind", "dedupe_key")) == [("k", "new")]
    report = {row["record_type"]: row for row in run.report}
    assert report["outbox_messages"] == {**report["outbox_messages"], "action": "deleted", "count": 1}
    # On PostgreSQL the consent app's trigger lets this DELETE through its retention switch only.
    assert report["consent_history"] == {**report["consent_history"], "action": "deleted", "count": 1}
    assert set(ConsentDecision.objects.values_list("pk", flat=True)) == data_set["kept_decisions"]
    assert _listed() == set()


@pytest.mark.policy("GOV-4")
def test_removed_records_take_their_audit_history_and_write_no_new_entry(data_set):
    services.run_retention(now=NOW)
    services.run_retention(now=NOW)  # twice: nothing more goes

    removed = {pk for record_type, pk in data_set["expired"] if record_type == "outbox_messages"}
    assert not LogEntry.objects.filter(object_pk__in=[str(pk) for pk in removed], action=LogEntry.Action.DELETE).exists()
    assert RetentionRun.objects.count() == 2
    assert RetentionRun.objects.order_by("ran_at", "pk").last().total == 0


@pytest.mark.policy("GOV-4")
def test_safeguarding_records_are_kept_until_every_pupils_25th_birthday(dsl, class_a):
    from safeguarding.models import Concern, ConcernPupil

    adult = PupilFactory(school_class=class_a, date_of_birth=dt.date(2001, 11, 1), left_on=dt.date(2013, 7, 20))
    young = PupilFactory(school_class=class_a, date_of_birth=dt.date(2002, 1, 1), left_on=dt.date(2013, 7, 20))
    concerns = []
    for pupils in ([adult], [adult, young]):
        concern = Concern.objects.create(
            reported_by=dsl,
            raised_at=london(2012, 3, 1, 9, 0),
            happened_at=london(2012, 3, 1, 9, 0),
            kind="other",
            what_happened="x",
            action_taken="y",
        )
        for pupil in pupils:
            ConcernPupil.objects.create(concern=concern, pupil=pupil)
        concerns.append(concern)

    listed = {c.pk for c in retention.dry_run(NOW) if c.record_type == "safeguarding"}

    assert listed == {concerns[0].pk}
    assert adult.date_of_birth <= policy.safeguarding_cutoff(today=NOW.date())
    assert not young.date_of_birth <= policy.safeguarding_cutoff(today=NOW.date())


def test_the_beat_task_runs_the_sweep(data_set):
    from oversight.tasks import retention_sweep

    run_id = retention_sweep()

    assert RetentionRun.objects.filter(pk=run_id).exists()


@pytest.mark.policy("GOV-4")
def test_calls_and_join_records_go_three_years_after_the_call(make_call, child_a, guardian_a):
    from tests.governance.conftest import model

    old = make_call(london(2023, 11, 1, 10, 0), status="held")
    recent = make_call(london(2024, 1, 10, 10, 0), status="held")
    JoinLink = model("calls.JoinLink")
    old_link = JoinLink.objects.create(call=old, guardian=guardian_a, pupil=child_a, token_hash="o", created_at=old.starts_at)
    JoinLink.objects.create(call=recent, guardian=guardian_a, pupil=child_a, token_hash="r", created_at=recent.starts_at)

    listed = {(c.record_type, c.pk) for c in retention.dry_run(NOW) if c.record_type in {"calls", "join_records"}}
    services.run_retention(now=NOW)

    assert listed == {("calls", old.pk), ("join_records", old_link.pk)}
    assert list(model("calls.Call").objects.values_list("pk", flat=True)) == [recent.pk]
    assert JoinLink.objects.count() == 1


@pytest.mark.policy("CON-5")
def test_outside_the_retention_sweep_consent_history_still_cannot_be_deleted(data_set):
    from consent.models import AppendOnlyError

    decision = ConsentDecision.objects.first()

    with pytest.raises(AppendOnlyError):
        decision.delete()
    if connection.vendor == "postgresql":
        from django.db import DatabaseError

        with pytest.raises(DatabaseError), transaction.atomic():
            ConsentDecision.objects.filter(pk=decision.pk)._raw_delete(connection.alias)


@pytest.mark.policy("GOV-4")
def test_an_expired_safeguarding_file_is_removed_through_the_retention_opening(dsl, class_a):
    from safeguarding.models import Concern, ConcernEntry, ConcernPupil

    adult = PupilFactory(school_class=class_a, date_of_birth=dt.date(2000, 1, 1), left_on=dt.date(2011, 7, 20))
    concern = Concern.objects.create(
        reported_by=dsl,
        raised_at=london(2010, 3, 1, 9, 0),
        happened_at=london(2010, 3, 1, 9, 0),
        kind="other",
        what_happened="x",
        action_taken="y",
    )
    ConcernPupil.objects.create(concern=concern, pupil=adult)
    ConcernEntry.objects.create(concern=concern, kind="acknowledged", recorded_by=dsl, recorded_at=london(2010, 3, 1, 9, 30))

    run = services.run_retention(now=NOW)

    row = next(r for r in run.report if r["record_type"] == "safeguarding")
    assert (row["action"], row["count"]) == ("deleted", 1)
    assert not Concern.objects.filter(pk=concern.pk).exists()
    assert not ConcernEntry.objects.filter(concern_id=concern.pk).exists()


@pytest.mark.policy("GOV-4")
@pytest.mark.policy("SG-3")
def test_a_safeguarding_follow_up_is_kept_as_a_safeguarding_record_not_as_a_welfare_contact(dsl, teacher, class_a):
    """Issue 16: a DSL's follow-up is safeguarding content. Three years do not remove it (nor its
    audit history); the pupil's 25th birthday does, and the report shown to the head and office
    names neither the pupil nor the outcome."""
    from sessionlogs.models import WelfareContact

    young = PupilFactory(school_class=class_a, date_of_birth=dt.date(2015, 1, 1))
    adult = PupilFactory(school_class=class_a, date_of_birth=dt.date(2001, 1, 1), left_on=dt.date(2012, 7, 20))
    made = {}
    for name, pupil, follow_up in (("ordinary", young, False), ("follow_up", young, True), ("adult", adult, True)):
        contact = WelfareContact.objects.create(
            pupil=pupil, method="home_visit", contacted_at=london(2020, 3, 2, 18, 0), duration_minutes=20, staff=dsl,
            outcome=f"Outcome {name} 6161", safeguarding_follow_up=follow_up, recorded_by=dsl, recorded_at=london(2020, 3, 2, 19),
        )  # fmt: skip
        LogEntry.objects.filter(object_pk=str(contact.pk)).update(timestamp=london(2019, 3, 2, 19))  # older than 6 years
        made[name] = contact

    candidates = [c for c in retention.dry_run(NOW) if c.model_label == "sessionlogs.WelfareContact"]
    services.run_retention(now=NOW, by=None)

    assert {(c.record_type, c.pk) for c in candidates} == {
        ("welfare_contacts", made["ordinary"].pk),
        ("safeguarding_follow_ups", made["adult"].pk),
    }
    assert all("6161" not in c.description for c in candidates)
    assert all(str(adult) not in c.description for c in candidates)
    assert set(WelfareContact.objects.values_list("pk", flat=True)) == {made["follow_up"].pk}
    assert LogEntry.objects.filter(object_pk=str(made["follow_up"].pk), changes__icontains="6161").exists()
