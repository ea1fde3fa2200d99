"""Consent fixtures: a second parent of child_a (separated parents, both with parental
responsibility) and a step-parent without it."""

import pytest

from consent import services
from consent.choices import Scope
from tests.factories import parent_of


@pytest.fixture
def other_guardian_a(child_a):
    return parent_of(child_a, email="other-parent-a@example.test")


@pytest.fixture
def step_parent_a(child_a):
    return parent_of(child_a, email="step-parent-a@example.test", parental_responsibility=False)


@pytest.fixture
def give(now):
    """give(pupil, guardian, scope=VIDEO_CALLS, at=now): a guardian's own online decision."""

    def _give(pupil, guardian, scope=Scope.VIDEO_CALLS, at=None):
        return services.give_consent(pupil=pupil, guardian=guardian, scope=scope, decided_by=guardian.user, now=at or now)

    return _give


@pytest.fixture
def withdraw(now):
    def _withdraw(pupil, guardian, scope=Scope.VIDEO_CALLS, at=None):
        return services.withdraw_consent(pupil=pupil, guardian=guardian, scope=scope, decided_by=guardian.user, now=at or now)

    return _withdraw
