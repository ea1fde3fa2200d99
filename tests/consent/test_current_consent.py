"""CurrentConsent, the stored decision in force (CON-5), always equals the definition: the latest
decision by a guardian who holds parental responsibility now, recomputed from the history.

The reference below is the correlated query the selectors used before the table existed,
kept here as an independent second implementation to check the stored state against."""

import contextlib
import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.db.migrations.operations import RunSQL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent import selectors, services
from consent.choices import Decision, Scope
from consent.models import ConsentDecision, CurrentConsent
from oversight import retention
from school import services as school_services
from school.models import Guardianship, Pupil
from tests.factories import PupilFactory, parent_of
from tests.migration_steps import steps

pytestmark = pytest.mark.django_db


def reference_state(pupil) -> dict:
    """{scope: (decision, decided_at, decision pk)} read straight from the history (CON-5)."""
    found = {}
    for scope in Scope.values:
        latest = (
            ConsentDecision.objects.filter(
                pupil=pupil,
                scope=scope,
                guardian__guardianships__pupil=pupil,
                guardian__guardianships__parental_responsibility=True,
            )
            .order_by("-decided_at", "-pk")
            .first()
        )
        if latest is not None:
            found[scope] = (latest.decision, latest.decided_at, latest.pk)
    return found


def stored_state(pupil) -> dict:
    return {
        row.scope: (row.decision, row.decided_at, row.consent_decision_id) for row in CurrentConsent.objects.filter(pupil=pupil)
    }


GUARDIANS = 3
# Steps: ("give"|"withdraw", guardian, scope, minutes after the start: repeats test the pk tie-break)
# or ("responsibility", guardian, True/False, None): the MIS import changing a guardianship.
decision_step = st.tuples(
    st.sampled_from(["give", "withdraw"]),
    st.integers(0, GUARDIANS - 1),
    st.sampled_from(Scope.values),
    st.integers(0, 5),
)
responsibility_step = st.tuples(st.just("responsibility"), st.integers(0, GUARDIANS - 1), st.booleans(), st.none())


def _apply(step, pupil, guardians, start):
    action, n, value, minutes = step
    guardian = guardians[n]
    if action == "responsibility":
        Guardianship.objects.filter(guardian=guardian, pupil=pupil).update(parental_responsibility=value)
        services.refresh_current_consent([pupil.pk])  # what the import does after changing a guardianship
        return
    service = services.give_consent if action == "give" else services.withdraw_consent
    # CON-5: without parental responsibility the service refuses and nothing changes.
    with contextlib.suppress(services.ConsentError):
        service(pupil=pupil, guardian=guardian, scope=value, decided_by=guardian.user, now=start + dt.timedelta(minutes=minutes))


@pytest.mark.policy("CON-5")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.one_of(decision_step, responsibility_step), max_size=14))
def test_the_stored_state_equals_the_history_after_any_sequence_of_changes(steps, now):
    pupil = PupilFactory()
    guardians = [parent_of(pupil) for _ in range(GUARDIANS)]

    for step in steps:
        _apply(step, pupil, guardians, now)
        assert stored_state(pupil) == reference_state(pupil), step

    given_now = reference_state(pupil).get(Scope.VIDEO_CALLS, (None,))[0] == Decision.GIVEN
    assert selectors.has_consent(pupil) is given_now


@pytest.mark.policy("CON-5")
def test_the_guardian_import_changing_responsibility_changes_the_state_in_force(office, now):
    pupil = PupilFactory(mis_id="M001")
    heading = "mis_id,first_name,last_name,email,phone,pupil_mis_id,relationship,parental_responsibility\n"
    school_services.confirm_import(
        kind="guardians", text=heading + "G001,Anne,Lovelace,,,M001,Mother,yes\n", imported_by=office, now=now
    )
    anne = pupil.guardianships.get().guardian
    services.give_consent(pupil=pupil, guardian=anne, scope=Scope.VIDEO_CALLS, decided_by=office, now=now, method="paper")
    assert selectors.has_consent(pupil)

    school_services.confirm_import(
        kind="guardians", text=heading + "G001,Anne,Lovelace,,,M001,Mother,no\n", imported_by=office, now=now
    )

    assert not selectors.has_consent(pupil)
    assert stored_state(pupil) == reference_state(pupil) == {}


@pytest.mark.policy("CON-5")
def test_the_retention_sweep_takes_the_state_in_force_with_the_history(child_a, guardian_a, give, now):
    give(child_a, guardian_a, at=now - dt.timedelta(days=365 * 8))
    child_a.left_on = (now - dt.timedelta(days=365 * 7)).date()
    child_a.save(update_fields=["left_on"])

    outcome, count, _ = retention.ConsentHistory().remove(now)

    assert (outcome, count) == (retention.DELETED, 1)
    assert not CurrentConsent.objects.filter(pupil=child_a).exists()
    assert not selectors.has_consent(child_a)


def test_the_migration_fills_the_table_with_the_definition(child_a, child_b, guardian_a, guardian_b, give, withdraw, now):
    give(child_a, guardian_a, at=now - dt.timedelta(days=2))
    withdraw(child_a, guardian_a, at=now - dt.timedelta(days=1))
    give(child_b, guardian_b, scope=Scope.RECORDING)
    expected = {p.pk: reference_state(p) for p in (child_a, child_b)}
    CurrentConsent.objects.all().delete()

    (fill,) = steps("consent", "0006_current_consent", RunSQL)
    with connection.cursor() as cursor:
        cursor.execute(fill.sql)

    assert {p.pk: stored_state(p) for p in (child_a, child_b)} == expected


def test_refreshing_many_pupils_costs_the_same_queries_as_one(django_assert_num_queries, class_a, now):
    pupils = PupilFactory.create_batch(30, school_class=class_a)
    guardian = parent_of(*pupils)
    for pupil in pupils:
        services.give_consent(pupil=pupil, guardian=guardian, scope=Scope.VIDEO_CALLS, decided_by=guardian.user, now=now)

    # Savepoint, lock (PostgreSQL only), read, delete, insert, release: whatever the number of pupils.
    expected = 6 if connection.vendor == "postgresql" else 5
    with django_assert_num_queries(expected):
        services.refresh_current_consent([pupils[0].pk])
    with django_assert_num_queries(expected):
        services.refresh_current_consent([p.pk for p in pupils])

    assert selectors.consenting_pupil_ids([p.pk for p in pupils]) == {p.pk for p in pupils}


def test_dashboard_counts_agree_with_each_pupils_state(class_a, class_b, now):
    pupils = PupilFactory.create_batch(3, school_class=class_a) + PupilFactory.create_batch(2, school_class=class_b)
    guardian = parent_of(*pupils)
    services.give_consent(pupil=pupils[0], guardian=guardian, scope=Scope.VIDEO_CALLS, decided_by=guardian.user, now=now)
    services.withdraw_consent(pupil=pupils[3], guardian=guardian, scope=Scope.VIDEO_CALLS, decided_by=guardian.user, now=now)
    services.give_consent(pupil=pupils[4], guardian=guardian, scope=Scope.RECORDING, decided_by=guardian.user, now=now)
    everyone = Pupil.objects.filter(pk__in=[p.pk for p in pupils])

    counts = selectors.video_state_counts(everyone)

    assert counts == Counter((class_id, state) for _pk, class_id, state in selectors.video_states(everyone))
    assert counts == {
        (class_a.pk, "given"): 1,
        (class_a.pk, "never_answered"): 2,
        (class_b.pk, "withdrawn"): 1,
        (class_b.pk, "never_answered"): 1,
    }
