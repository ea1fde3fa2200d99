"""Every consent write: what it stores, what it refuses, what it emails, what it triggers."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from consent import events, selectors, services
from consent.choices import Audience, Decision, Method, Scope
from consent.models import (
    AcceptableUseAcknowledgement,
    AcceptableUseDocument,
    ConsentDecision,
    ConsentReminder,
    FamilyQuestionReply,
)
from governance.models import PolicyVersion
from notifications.models import OutboxMessage
from tests.factories import GuardianshipFactory, PupilFactory, parent_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def withdrawal_handler():
    """A test-only withdrawal handler standing in for the calls app (CON-3)."""
    calls = []

    def handler(sender, *, pupil, scope, decided_by, now, **kwargs):
        calls.append(
            {
                "pupil": pupil,
                "scope": scope,
                "atomic_depth": len(transaction.get_connection().atomic_blocks),
                "sees_withdrawal": not selectors.has_consent(pupil, scope),
            }
        )
        if getattr(handler, "fail", False):
            raise RuntimeError("calls app failed")

    events.consent_withdrawn.connect(handler)
    handler.calls = calls
    yield handler
    events.consent_withdrawn.disconnect(handler)


# --- CON-2, CON-5: decisions ---------------------------------------------------------------


@pytest.mark.policy("CON-5")
def test_a_decision_records_who_what_when_and_the_versions_shown(child_a, guardian_a, give, now):
    decision = give(child_a, guardian_a)

    decision.refresh_from_db()
    assert (decision.pupil, decision.guardian, decision.scope, decision.decision) == (
        child_a,
        guardian_a,
        Scope.VIDEO_CALLS,
        Decision.GIVEN,
    )
    assert decision.decided_at == now
    assert decision.method == Method.ONLINE
    assert decision.entered_by == guardian_a.user
    assert decision.policy_version == PolicyVersion.objects.current()
    assert decision.guidance_version == AcceptableUseDocument.objects.current(Audience.PARENTS)


@pytest.mark.policy("CON-5")
def test_changing_your_mind_appends_and_never_overwrites(child_a, guardian_a, give, withdraw, now):
    give(child_a, guardian_a, at=now - dt.timedelta(hours=1))
    withdraw(child_a, guardian_a)
    give(child_a, guardian_a, at=now + dt.timedelta(hours=1))

    history = list(ConsentDecision.objects.filter(pupil=child_a).values_list("decision", flat=True))
    assert history == [Decision.GIVEN, Decision.WITHDRAWN, Decision.GIVEN]
    assert selectors.has_consent(child_a)


@pytest.mark.policy("CON-5")
def test_a_guardian_without_parental_responsibility_cannot_decide(child_a, step_parent_a, now):
    with pytest.raises(services.ConsentError, match="parental responsibility"):
        services.give_consent(
            pupil=child_a, guardian=step_parent_a, scope=Scope.VIDEO_CALLS, decided_by=step_parent_a.user, now=now
        )

    assert not ConsentDecision.objects.exists()


@pytest.mark.policy("CON-5")
def test_a_guardian_of_another_child_cannot_decide_for_this_one(child_a, guardian_b, now):
    with pytest.raises(services.ConsentError):
        services.withdraw_consent(
            pupil=child_a, guardian=guardian_b, scope=Scope.VIDEO_CALLS, decided_by=guardian_b.user, now=now
        )

    assert not ConsentDecision.objects.exists()


@pytest.mark.policy("CON-5")
def test_a_decision_is_refused_when_the_policy_shown_is_no_longer_current(child_a, guardian_a, now):
    shown = PolicyVersion.objects.current()
    PolicyVersion.objects.create(version="2026-09", text="New", next_review_on=dt.date(2027, 9, 1), published_at=now)

    with pytest.raises(services.ConsentError, match="updated"):
        services.give_consent(
            pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=now, policy_version=shown
        )

    assert not ConsentDecision.objects.exists()


@pytest.mark.policy("GOV-3")
def test_every_decision_is_audit_logged(child_a, guardian_a, give):
    decision = give(child_a, guardian_a)

    entry = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(ConsentDecision), object_pk=str(decision.pk))
    assert entry.action == LogEntry.Action.CREATE


# --- CON-4: decisions entered by staff -----------------------------------------------------------


@pytest.mark.policy("CON-4")
@pytest.mark.parametrize("method", [Method.PHONE, Method.PAPER, Method.BLOG])
def test_staff_record_a_decision_given_by_phone_paper_or_blog(child_a, guardian_a, office, now, method):
    decision = services.give_consent(
        pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=office, now=now, method=method
    )

    assert decision.method == method
    assert decision.entered_by == office
    assert decision.guardian == guardian_a
    assert selectors.has_consent(child_a)


@pytest.mark.policy("CON-4")
def test_staff_cannot_pass_their_entry_off_as_the_parents_online_decision(child_a, guardian_a, office, now):
    with pytest.raises(services.ConsentError, match="phone"):
        services.give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=office, now=now)

    assert not ConsentDecision.objects.exists()


# --- CON-2, CON-3: withdrawal ---------------------------------------------------------------


@pytest.mark.policy("CON-3")
def test_withdrawal_runs_the_handlers_inside_its_transaction(child_a, guardian_a, give, withdraw, withdrawal_handler, now):
    give(child_a, guardian_a, at=now - dt.timedelta(minutes=5))
    depth_outside = len(transaction.get_connection().atomic_blocks)

    withdraw(child_a, guardian_a)

    (call,) = withdrawal_handler.calls
    assert (call["pupil"], call["scope"], call["sees_withdrawal"]) == (child_a, Scope.VIDEO_CALLS, True)
    assert call["atomic_depth"] > depth_outside  # inside withdraw_consent's own atomic block


@pytest.mark.policy("CON-3")
def test_a_failing_handler_rolls_the_withdrawal_back(child_a, guardian_a, give, withdraw, withdrawal_handler, now):
    give(child_a, guardian_a, at=now - dt.timedelta(minutes=5))
    withdrawal_handler.fail = True

    with pytest.raises(RuntimeError):
        withdraw(child_a, guardian_a)

    assert list(ConsentDecision.objects.values_list("decision", flat=True)) == [Decision.GIVEN]
    assert not OutboxMessage.objects.filter(kind="consent-withdrawn").exists()


@pytest.mark.policy("CON-2")
def test_withdrawal_takes_effect_at_once_and_the_guardian_gets_a_confirmation(
    child_a, guardian_a, give, withdraw, now, django_capture_on_commit_callbacks, mailoutbox
):
    give(child_a, guardian_a, at=now - dt.timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        withdraw(child_a, guardian_a)

    assert not selectors.has_consent(child_a)
    confirmation = OutboxMessage.objects.get(kind="consent-withdrawn")
    assert confirmation.recipient_email == guardian_a.email
    assert child_a.first_name in confirmation.body_text
    assert [m.to for m in mailoutbox if "withdrawn" in m.subject.lower()] == [[guardian_a.email]]


@pytest.mark.policy("CON-3")
def test_withdrawal_entered_by_staff_still_confirms_to_the_guardian(child_a, guardian_a, office, now):
    services.withdraw_consent(
        pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=office, now=now, method=Method.PHONE
    )

    message = OutboxMessage.objects.get(kind="consent-withdrawn")
    assert message.recipient_email == guardian_a.email
    assert "by phone" in message.body_text


# --- COM-3: guidance ----------------------------------------------------------------------


@pytest.mark.policy("COM-3")
def test_first_video_consent_sends_the_guidance_once(child_a, guardian_a, give, withdraw, now):
    give(child_a, guardian_a, at=now - dt.timedelta(days=2))
    withdraw(child_a, guardian_a, at=now - dt.timedelta(days=1))
    give(child_a, guardian_a)

    messages = OutboxMessage.objects.filter(kind="consent-guidance")
    assert [m.recipient_email for m in messages] == [guardian_a.email]
    assert "I will not reveal my passwords to anyone." in messages[0].body_text
    assert "Childline" in messages[0].body_text  # reporting routes travel with it


@pytest.mark.policy("COM-3")
def test_recording_consent_sends_no_guidance(child_a, guardian_a, give):
    give(child_a, guardian_a, scope=Scope.RECORDING)

    assert not OutboxMessage.objects.filter(kind="consent-guidance").exists()


@pytest.mark.policy("COM-3")
def test_each_guardian_gets_the_guidance_when_they_first_consent(child_a, guardian_a, other_guardian_a, give):
    give(child_a, guardian_a)
    give(child_a, other_guardian_a)

    recipients = set(OutboxMessage.objects.filter(kind="consent-guidance").values_list("recipient_email", flat=True))
    assert recipients == {guardian_a.email, other_guardian_a.email}


# --- CON-7: acceptable use ----------------------------------------------------------------


@pytest.fixture
def documents():
    return AcceptableUseDocument.objects.current_by_audience()


@pytest.mark.policy("CON-7")
def test_a_guardian_acknowledges_for_themselves_and_each_child(parent_a, child_a, documents, now):
    own = services.acknowledge_acceptable_use(user=parent_a, document=documents[Audience.PARENTS], now=now)
    for_child = services.acknowledge_acceptable_use(user=parent_a, document=documents[Audience.PUPILS], pupil=child_a, now=now)

    assert (own.user, own.pupil, own.document.version, own.acknowledged_at) == (parent_a, None, 1, now)
    assert (for_child.user, for_child.pupil) == (parent_a, child_a)


@pytest.mark.policy("CON-7")
def test_acknowledging_twice_records_once(parent_a, documents, now):
    services.acknowledge_acceptable_use(user=parent_a, document=documents[Audience.PARENTS], now=now)
    services.acknowledge_acceptable_use(user=parent_a, document=documents[Audience.PARENTS], now=now + dt.timedelta(hours=1))

    assert AcceptableUseAcknowledgement.objects.count() == 1


@pytest.mark.policy("CON-7")
def test_a_parent_cannot_acknowledge_for_someone_elses_child(parent_a, child_b, documents, now):
    with pytest.raises(services.ConsentError):
        services.acknowledge_acceptable_use(user=parent_a, document=documents[Audience.PUPILS], pupil=child_b, now=now)

    assert not AcceptableUseAcknowledgement.objects.exists()


@pytest.mark.policy("CON-7")
def test_staff_acknowledge_the_staff_guidance_and_only_the_current_version(teacher, documents, now):
    services.acknowledge_acceptable_use(user=teacher, document=documents[Audience.STAFF], now=now)
    newer = AcceptableUseDocument.objects.create(
        audience=Audience.STAFF, version=2, title="Staff v2", sections=[], published_at=now
    )

    with pytest.raises(services.ConsentError, match="replaced"):
        services.acknowledge_acceptable_use(user=teacher, document=documents[Audience.STAFF], now=now)
    services.acknowledge_acceptable_use(user=teacher, document=newer, now=now)

    assert AcceptableUseAcknowledgement.objects.filter(user=teacher).count() == 2


@pytest.mark.policy("CON-7")
def test_a_parent_cannot_acknowledge_the_staff_guidance(parent_a, documents, now):
    with pytest.raises(services.ConsentError):
        services.acknowledge_acceptable_use(user=parent_a, document=documents[Audience.STAFF], now=now)


# --- COM-7: questions ---------------------------------------------------------------------


@pytest.mark.policy("COM-7")
def test_a_reply_is_stored_and_the_guardian_emailed_without_its_text(guardian_a, office, now):
    question = services.ask_question(
        guardian=guardian_a, asked_by=guardian_a.user, subject="Camera", text="Must it be on?", now=now
    )

    reply = services.reply_to_question(question=question, replied_by=office, text="Yes, please: SECRET-DETAIL", now=now)

    assert FamilyQuestionReply.objects.get() == reply
    message = OutboxMessage.objects.get(kind="consent-question-reply")
    assert message.recipient_email == guardian_a.user.email
    assert "SECRET-DETAIL" not in message.body_text
    assert f"/consent/questions/{question.pk}/" in message.body_text


@pytest.mark.policy("COM-7")
def test_only_the_guardian_themselves_asks(guardian_a, parent_b, now):
    with pytest.raises(services.ConsentError):
        services.ask_question(guardian=guardian_a, asked_by=parent_b, subject="x", text="y", now=now)


# --- requests and reminders ------------------------------------------------------------------


def test_a_class_request_emails_each_responsible_guardian_once(class_a, child_a, guardian_a, step_parent_a, office, now):
    sibling = PupilFactory(school_class=class_a, first_name="Zac")
    GuardianshipFactory(guardian=guardian_a, pupil=sibling)

    request = services.send_consent_request(school_class=class_a, sent_by=office, now=now)
    services.send_consent_request(school_class=class_a, sent_by=office, now=now)

    first = OutboxMessage.objects.filter(dedupe_key__startswith=f"consent-request:{request.pk}:")
    assert [m.recipient_email for m in first] == [guardian_a.email]
    assert "Amelia, Zac" in first[0].body_text
    assert request.recipient_count == 1
    assert OutboxMessage.objects.filter(kind="consent-request").count() == 2  # one per guardian per request


def test_a_whole_school_request_reaches_every_class(child_a, child_b, guardian_a, guardian_b, office, now):
    services.send_consent_request(school_class=None, sent_by=office, now=now)

    assert set(OutboxMessage.objects.values_list("recipient_email", flat=True)) == {guardian_a.email, guardian_b.email}


def test_a_request_never_goes_to_a_pupils_own_address(child_a, guardian_a, office, now):
    services.send_consent_request(school_class=None, sent_by=office, now=now)

    assert child_a.personal_email not in OutboxMessage.objects.values_list("recipient_email", flat=True)


def test_reminders_go_only_to_guardians_who_never_answered_at_most_weekly(class_a, child_a, guardian_a, teacher, give, now):
    answered = PupilFactory(school_class=class_a)
    give(answered, parent_of(answered))

    first = services.send_reminders(school_class=class_a, sent_by=teacher, now=now)
    again = services.send_reminders(school_class=class_a, sent_by=teacher, now=now + dt.timedelta(days=6))
    week_later = services.send_reminders(school_class=class_a, sent_by=teacher, now=now + dt.timedelta(days=7))

    assert (first, again, week_later) == ((1, 0), (0, 1), (1, 0))
    assert list(OutboxMessage.objects.filter(kind="consent-reminder").values_list("recipient_email", flat=True)) == [
        guardian_a.email,
        guardian_a.email,
    ]
    assert ConsentReminder.objects.filter(guardian=guardian_a).count() == 2
