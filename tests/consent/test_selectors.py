"""CON-1 and CON-6: the gate calls use, and the readers of the current state."""

import datetime as dt

import pytest

from consent import selectors, services
from consent.choices import Decision, Scope
from tests.factories import PupilFactory, parent_of

pytestmark = pytest.mark.django_db


@pytest.mark.policy("CON-1")
def test_gate_lets_in_only_pupils_with_consent(child_a, child_b, guardian_a, give):
    give(child_a, guardian_a)

    assert selectors.consenting_pupil_ids([child_a.pk, child_b.pk]) == {child_a.pk}
    assert selectors.has_consent(child_a)
    assert not selectors.has_consent(child_b)


@pytest.mark.policy("CON-1")
def test_gate_excludes_a_pupil_after_the_other_guardian_withdraws(child_a, guardian_a, other_guardian_a, give, withdraw, now):
    give(child_a, guardian_a, at=now - dt.timedelta(days=2))

    withdraw(child_a, other_guardian_a, at=now - dt.timedelta(days=1))

    assert selectors.consenting_pupil_ids([child_a.pk]) == set()


@pytest.mark.policy("CON-1")
def test_gate_ignores_a_guardian_who_lost_parental_responsibility(child_a, guardian_a, other_guardian_a, give, withdraw, now):
    give(child_a, guardian_a, at=now - dt.timedelta(days=2))
    withdraw(child_a, other_guardian_a, at=now - dt.timedelta(days=1))

    other_guardian_a.guardianships.update(parental_responsibility=False)
    services.refresh_current_consent([child_a.pk])  # as the MIS import does when it changes a guardianship

    # The withdrawal by someone without parental responsibility no longer counts; guardian_a's consent does.
    assert selectors.consenting_pupil_ids([child_a.pk]) == {child_a.pk}


@pytest.mark.policy("CON-1")
def test_gate_answers_for_a_whole_school_in_one_query(django_assert_num_queries, class_a, give):
    pupils = PupilFactory.create_batch(40, school_class=class_a)
    for pupil in pupils[::2]:
        give(pupil, parent_of(pupil))

    with django_assert_num_queries(1):
        allowed = selectors.consenting_pupil_ids([p.pk for p in pupils])

    assert allowed == {p.pk for p in pupils[::2]}


@pytest.mark.policy("CON-1")
def test_gate_answers_for_video_calls_not_recording(child_a, guardian_a, give):
    give(child_a, guardian_a, scope=Scope.RECORDING)

    assert selectors.consenting_pupil_ids([child_a.pk]) == set()


@pytest.mark.policy("CON-6")
def test_recording_allowed_only_when_every_pupil_allows_it(child_a, child_b, guardian_a, guardian_b, give, withdraw):
    give(child_a, guardian_a, scope=Scope.RECORDING)
    assert selectors.recording_allowed_for([child_a.pk])
    assert not selectors.recording_allowed_for([child_a.pk, child_b.pk])

    give(child_b, guardian_b, scope=Scope.RECORDING)
    assert selectors.recording_allowed_for([child_a.pk, child_b.pk])

    withdraw(child_b, guardian_b, scope=Scope.RECORDING)
    assert not selectors.recording_allowed_for([child_a.pk, child_b.pk])


@pytest.mark.policy("CON-6")
def test_video_consent_is_not_recording_permission(child_a, guardian_a, give):
    give(child_a, guardian_a, scope=Scope.VIDEO_CALLS)

    assert not selectors.recording_allowed_for([child_a.pk])


@pytest.mark.policy("CON-5")
def test_latest_decisions_for_a_family_take_the_newest_by_a_responsible_guardian(
    child_a, guardian_a, other_guardian_a, step_parent_a, give, withdraw, now
):
    give(child_a, guardian_a, at=now - dt.timedelta(hours=3))
    withdraw(child_a, other_guardian_a, at=now - dt.timedelta(hours=2))

    found = selectors.latest_decisions_for([child_a.pk])

    assert found[(child_a.pk, Scope.VIDEO_CALLS)].decision == Decision.WITHDRAWN
    assert found[(child_a.pk, Scope.VIDEO_CALLS)].guardian == other_guardian_a
    assert (child_a.pk, Scope.RECORDING) not in found
