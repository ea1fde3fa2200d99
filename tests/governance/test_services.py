"""Governance services against the real database: stored rows, audit entries and outbox."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from accounts.choices import Role
from governance import events, selectors, services
from governance.models import PolicyVersion
from notifications.models import OutboxMessage
from school.models import Pupil
from tests.factories import PupilFactory, parent_of, staff_user

from .conftest import london

pytestmark = pytest.mark.django_db

NOW = london(2026, 11, 28, 10, 0)


def _draft(head, version="2026-11", **changes):
    fields = dict(
        version=version,
        title="Video Conferencing Policy",
        text="Intent:\n\n- Keep children safe.",
        agreed_on=dt.date(2026, 11, 20),
        shared_with_staff_on=dt.date(2026, 11, 25),
    )
    return services.draft_policy_version(by=head, today=NOW.date(), **{**fields, **changes})


@pytest.mark.policy("GOV-1")
def test_a_draft_gets_its_review_a_year_after_agreement_and_is_not_public(head):
    draft = _draft(head)

    assert draft.next_review_on == dt.date(2027, 11, 20)
    assert draft.published_at is None
    assert selectors.current_policy().version == "2020-09"


@pytest.mark.policy("GOV-1")
def test_publishing_makes_the_version_current_and_is_audited(head):
    draft = _draft(head)

    services.publish_policy_version(version=draft, by=head, now=NOW)

    assert selectors.current_policy() == draft
    entry = LogEntry.objects.get_for_object(draft).filter(action=LogEntry.Action.UPDATE).first()
    assert entry.actor == head
    assert "published_at" in entry.changes_dict


@pytest.mark.policy("GOV-1")
def test_publishing_without_governors_agreement_is_refused(head):
    draft = _draft(head, agreed_on=None)

    with pytest.raises(services.GovernanceError, match="governors agreed"):
        services.publish_policy_version(version=draft, by=head, now=NOW)

    assert PolicyVersion.objects.get(pk=draft.pk).published_at is None


@pytest.mark.policy("GOV-1")
def test_a_published_version_cannot_be_edited(head):
    draft = _draft(head)
    services.publish_policy_version(version=draft, by=head, now=NOW)

    with pytest.raises(services.GovernanceError, match="cannot be changed"):
        services.update_policy_draft(draft=draft, by=head, today=NOW.date(), text="Rewritten")


@pytest.mark.policy("GOV-1")
def test_a_version_that_changed_the_guidance_asks_for_acknowledgement_again(head, seed_policy):
    unchanged = _draft(head, version="2026-10", guidance_changed=False)
    unchanged = services.publish_policy_version(version=unchanged, by=head, now=NOW - dt.timedelta(days=2))
    assert not selectors.guidance_changed_since(seed_policy)

    changed = _draft(head, version="2026-11", guidance_changed=True)
    changed = services.publish_policy_version(version=changed, by=head, now=NOW)

    assert selectors.guidance_changed_since(seed_policy)
    assert selectors.guidance_changed_since(unchanged)
    assert not selectors.guidance_changed_since(changed)
    assert selectors.guidance_changed_since(None)
    assert selectors.guidance_version() == changed


@pytest.mark.policy("GOV-1")
def test_the_head_is_reminded_30_days_and_7_days_before_the_review_once_each(head, deputy):
    draft = _draft(head, agreed_on=dt.date(2026, 1, 10))  # review due 10 January 2027
    services.publish_policy_version(version=draft, by=head, now=london(2026, 1, 12, 9, 0))

    assert services.send_review_reminders(now=london(2026, 12, 10, 9, 0)) == 0  # 31 days before
    services.send_review_reminders(now=london(2026, 12, 11, 9, 0))  # 30 days before
    services.send_review_reminders(now=london(2026, 12, 12, 9, 0))  # the hourly sweep again: no repeat
    services.send_review_reminders(now=london(2027, 1, 3, 9, 0))  # 7 days before

    reminders = OutboxMessage.objects.filter(kind="policy-review-reminder").order_by("pk")
    assert [m.recipient_email for m in reminders] == [head.email, head.email]
    assert "30 days" in reminders[0].subject
    assert "7 days" in reminders[1].subject


@pytest.mark.policy("GOV-1")
def test_the_overdue_seed_policy_reminds_the_head_that_the_review_is_overdue(head, seed_policy):
    services.send_review_reminders(now=NOW)

    message = OutboxMessage.objects.get(kind="policy-review-reminder")
    assert "overdue" in message.subject
    assert "due on Wed 1 Sep 2021" in message.body_text


# --- Leavers -------------------------------------------------------------------------------


@pytest.fixture
def left_handler():
    seen = []

    def handler(sender, *, pupil, left_on, by, now, **kwargs):
        seen.append((pupil.pk, left_on, by.pk))

    events.pupil_left.connect(handler)
    yield seen
    events.pupil_left.disconnect(handler)


@pytest.mark.policy("GOV-2")
def test_marking_a_pupil_left_runs_the_hooks_closes_the_guardian_account_and_is_audited(office, child_a, parent_a, left_handler):
    closed = services.mark_pupil_left(pupil=child_a, left_on=NOW.date(), by=office, now=NOW)

    child_a.refresh_from_db()
    parent_a.refresh_from_db()
    assert child_a.left_on == NOW.date()
    assert left_handler == [(child_a.pk, NOW.date(), office.pk)]
    assert closed == [parent_a]
    assert parent_a.is_active is False
    entry = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Pupil), object_pk=str(child_a.pk)).first()
    assert entry.actor == office
    assert "left_on" in entry.changes_dict


def test_a_hook_failure_leaves_the_pupil_on_roll(office, child_a):
    def broken(sender, **kwargs):
        raise RuntimeError("calls app failed")

    events.pupil_left.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            services.mark_pupil_left(pupil=child_a, left_on=NOW.date(), by=office, now=NOW)
    finally:
        events.pupil_left.disconnect(broken)

    child_a.refresh_from_db()
    assert child_a.left_on is None


@pytest.mark.policy("GOV-2")
def test_a_guardian_with_another_child_on_roll_keeps_their_account(office, child_a, child_b):
    guardian = parent_of(child_a, child_b, email="both@example.test")

    closed = services.mark_pupil_left(pupil=child_a, left_on=NOW.date(), by=office, now=NOW)

    guardian.user.refresh_from_db()
    assert closed == []
    assert guardian.user.is_active


def test_a_member_of_staff_who_is_a_parent_keeps_their_account(office, class_a):
    child = PupilFactory(school_class=class_a)
    guardian = parent_of(child, email="teacher-parent@example.test")
    staff_user(Role.TEACHER, email=guardian.user.email)

    services.mark_pupil_left(pupil=child, left_on=NOW.date(), by=office, now=NOW)

    guardian.user.refresh_from_db()
    assert guardian.user.is_active


def test_a_pupil_cannot_be_marked_left_twice_or_in_advance(office, child_a):
    with pytest.raises(services.GovernanceError, match="not in advance"):
        services.mark_pupil_left(pupil=child_a, left_on=NOW.date() + dt.timedelta(days=3), by=office, now=NOW)
    services.mark_pupil_left(pupil=child_a, left_on=NOW.date(), by=office, now=NOW)

    with pytest.raises(services.GovernanceError, match="already marked"):
        services.mark_pupil_left(pupil=child_a, left_on=NOW.date(), by=office, now=NOW)


@pytest.mark.policy("GOV-2")
def test_a_leavers_future_calls_and_join_links_go_at_once_through_the_calls_hook(office, child_a, guardian_a, make_call):
    from .conftest import model

    future = make_call(london(2026, 12, 2, 10, 0))
    past = make_call(london(2026, 11, 20, 10, 0), status="held")
    Invitation, JoinLink = model("calls.CallInvitation"), model("calls.JoinLink")
    for call in (future, past):
        Invitation.objects.create(call=call, pupil=child_a, invited_at=call.booked_at)
        JoinLink.objects.create(
            call=call, guardian=guardian_a, pupil=child_a, token_hash=f"h{call.pk}", created_at=call.booked_at
        )

    services.mark_pupil_left(pupil=child_a, left_on=NOW.date(), by=office, now=NOW)

    assert Invitation.objects.get(call=future).removed_at == NOW
    assert JoinLink.objects.get(call=future).revoked_at == NOW
    assert Invitation.objects.get(call=past).removed_at is None  # history stays as it was


@pytest.mark.policy("GOV-1")
@pytest.mark.policy("CON-7")
def test_a_version_whose_guidance_changed_asks_everyone_to_acknowledge_again(head, teacher, guardian_a, child_a):
    from consent.models import AcceptableUseDocument
    from consent.services import acknowledge_acceptable_use

    before = AcceptableUseDocument.objects.current_by_audience()
    acknowledge_acceptable_use(user=teacher, document=before["staff"], now=NOW)
    quiet = _draft(head, version="2026-11a", guidance_changed=False)
    services.publish_policy_version(version=quiet, by=head, now=NOW)
    unchanged = AcceptableUseDocument.objects.current_by_audience()

    changed = _draft(head, version="2026-11b", guidance_changed=True)
    services.publish_policy_version(version=changed, by=head, now=NOW)
    after = AcceptableUseDocument.objects.current_by_audience()

    assert {a: d.pk for a, d in unchanged.items()} == {a: d.pk for a, d in before.items()}
    assert set(after) == set(before)
    assert all(after[a].version == before[a].version + 1 for a in before)
    assert after["staff"].sections == before["staff"].sections
    assert not after["staff"].acknowledgements.filter(user=teacher).exists()
