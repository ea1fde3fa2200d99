"""Issue 19, point 2: each dashboard opens with "Needs you now", a task list with counts. Every count
is checked against data that makes it a known number (and changes when the data does)."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from calls.services import one_to_ones
from consent.choices import Audience, Scope
from consent.models import AcceptableUseDocument
from consent.services import acknowledge_acceptable_use, give_consent
from notifications.models import OutboxMessage, OutboxState
from safeguarding import services as sg_services
from safeguarding.choices import ConcernKind
from tests.calls.conftest import NOW, TUESDAY_10, book, consented, one_to_one  # noqa: F401 - fixtures
from tests.factories import PupilFactory, parent_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def counts(client) -> dict[str, int]:
    page = client.get(reverse("home")).content.decode()
    section = page.split('data-testid="needs-you"', 1)[1].split("</section>", 1)[0]
    return {key: int(n) for key, n in re.findall(r'data-testid="needs-you-([\w-]+)" data-count="(\d+)"', section)}


def _as(client, user):
    client.force_login(user)
    return client


# --- parent ---------------------------------------------------------------------------------------


def test_parent_counts_unanswered_consent_only_for_children_they_decide_for(client, guardian_a, child_a, school_week):
    answered = PupilFactory(first_name="Ben", school_class=child_a.school_class)
    not_theirs_to_decide = PupilFactory(first_name="Cal", school_class=child_a.school_class)
    parent_of(answered)  # another family's child is never counted
    from tests.factories import GuardianshipFactory

    GuardianshipFactory(guardian=guardian_a, pupil=answered)
    GuardianshipFactory(guardian=guardian_a, pupil=not_theirs_to_decide, parental_responsibility=False)
    give_consent(pupil=answered, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=NOW)

    found = counts(_as(client, guardian_a.user))

    assert found["consent-unanswered"] == 1
    give_consent(pupil=child_a, guardian=guardian_a, scope=Scope.VIDEO_CALLS, decided_by=guardian_a.user, now=NOW)
    assert counts(client)["consent-unanswered"] == 0


def _documents():
    """The guidance for parents and pupils (published by a data migration; made here if not)."""
    for audience in (Audience.PARENTS, Audience.PUPILS):
        if AcceptableUseDocument.objects.current(audience) is None:
            AcceptableUseDocument.objects.create(audience=audience, version=1, title=f"{audience} guidance", published_at=NOW)


def test_parent_counts_guidance_to_acknowledge_for_themselves_and_each_child(client, guardian_a, child_a, school_week):
    _documents()
    from tests.factories import GuardianshipFactory

    GuardianshipFactory(guardian=guardian_a, pupil=PupilFactory(school_class=child_a.school_class))
    client = _as(client, guardian_a.user)

    assert counts(client)["acceptable-use"] == 3  # their own, and one for each of two children

    document = AcceptableUseDocument.objects.current(Audience.PUPILS)
    acknowledge_acceptable_use(user=guardian_a.user, document=document, pupil=child_a, now=NOW)
    assert counts(client)["acceptable-use"] == 2


def test_parent_counts_one_to_one_times_to_answer(client, parent_a, parent_b, guardian_a, one_to_one):  # noqa: F811
    assert counts(_as(client, parent_a))["one-to-one-answer"] == 1
    assert counts(_as(client, parent_b))["one-to-one-answer"] == 0

    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=True)

    assert counts(_as(client, parent_a))["one-to-one-answer"] == 0


def test_staff_see_no_parent_tasks_and_parents_no_staff_tasks(client, parent_a, teacher):
    assert not {"approvals", "logs-to-write", "concerns-new", "emails-failed"} & set(counts(_as(client, parent_a)))
    assert not {"consent-unanswered", "one-to-one-answer", "approvals"} & set(counts(_as(client, teacher)))


# --- head -----------------------------------------------------------------------------------------


def test_head_counts_approvals(client, head, parent_a, guardian_a, one_to_one):  # noqa: F811
    assert counts(_as(client, head))["approvals"] == 0

    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=True)

    assert counts(client)["approvals"] == 1


def test_head_counts_failed_emails_and_links_each_address_to_the_family_record(client, head, guardian_a):
    OutboxMessage.objects.create(
        kind="x", recipient_email="bounced@example.test", subject="s", body_text="b", dedupe_key="f1", state=OutboxState.FAILED
    )
    OutboxMessage.objects.create(
        kind="x", recipient_email="bounced@example.test", subject="s", body_text="b", dedupe_key="f2", state=OutboxState.FAILED
    )
    OutboxMessage.objects.create(
        kind="x", recipient_email="fine@example.test", subject="s", body_text="b", dedupe_key="p1", state=OutboxState.PENDING
    )

    client = _as(client, head)

    assert counts(client)["emails-failed"] == 2
    page = client.get(reverse("home")).content.decode()
    assert f"{reverse('school:guardians')}?q=bounced%40example.test" in page
    assert "fine@example.test" not in page


def test_head_counts_pupils_never_answered_and_may_remind(client, head, child_a, child_b, guardian_a, guardian_b, school_week):
    give_consent(pupil=child_b, guardian=guardian_b, scope=Scope.VIDEO_CALLS, decided_by=guardian_b.user, now=NOW)

    client = _as(client, head)

    assert counts(client)["consent-never-answered"] == 1
    assert reverse("consent:school_remind") in client.get(reverse("home")).content.decode()


def test_head_counts_logs_past_the_deadline(client, head, teacher, book, consented, child_a):  # noqa: F811
    book(pupil_ids=[child_a.pk])
    later = TUESDAY_10 + dt.timedelta(days=3)

    with time_machine.travel(later, tick=False):
        found = counts(_as(client, head))

    assert found["logs-overdue"] == 1


# --- teacher --------------------------------------------------------------------------------------


def test_teacher_counts_their_own_logs_to_write(client, teacher, teacher_b, book, consented, child_a):  # noqa: F811
    book(pupil_ids=[child_a.pk])

    with time_machine.travel(TUESDAY_10 + dt.timedelta(hours=1), tick=False):
        assert counts(_as(client, teacher))["logs-to-write"] == 1
        assert counts(_as(client, teacher_b))["logs-to-write"] == 0


# --- DSL ------------------------------------------------------------------------------------------


def test_dsl_sees_new_concerns_first_and_prominent(client, dsl, teacher, child_a):
    sg_services.raise_concern(
        reported_by=teacher,
        pupils=[child_a],
        now=NOW,
        kind=ConcernKind.DISCLOSURE,
        happened_at=NOW - dt.timedelta(minutes=5),
        what_happened="Said something worrying in class.",
        childs_words="I don't want to go home.",
        action_taken="Listened.",
    )

    client = _as(client, dsl)
    found = counts(client)
    page = client.get(reverse("home")).content.decode()

    assert found["concerns-new"] == 1
    first = re.search(r'data-testid="needs-you-([\w-]+)"', page).group(1)
    assert first == "concerns-new"
    assert "list-group-item-danger" in page.split('data-testid="needs-you-concerns-new"')[0][-200:]
    assert counts(_as(client, teacher)).get("concerns-new") is None
