"""consent.permissions: the querysets behind each 404 (GOV-2)."""

import pytest

from consent import permissions
from tests.factories import PupilFactory

pytestmark = pytest.mark.django_db


@pytest.mark.policy("GOV-2")
def test_recording_is_open_to_office_and_leadership_for_any_pupil_and_teachers_for_their_classes(
    office, head, deputy, teacher, teacher_b, parent_a, dsl, child_a, child_b
):
    gone = PupilFactory(school_class=child_a.school_class, left_on="2026-07-20")

    visible = {
        user: set(permissions.pupils_recordable_by(user)) for user in (office, head, deputy, teacher, teacher_b, parent_a, dsl)
    }

    assert visible[office] == visible[head] == visible[deputy] == {child_a, child_b}
    assert visible[teacher] == {child_a}
    assert visible[teacher_b] == {child_b}
    assert visible[parent_a] == set()
    assert visible[dsl] == set()  # a DSL who teaches no class records nothing here
    assert gone not in visible[office]


@pytest.mark.policy("GOV-2")
def test_own_questions_are_only_the_guardians_own(guardian_a, guardian_b, office, now):
    from consent import services

    mine = services.ask_question(guardian=guardian_a, asked_by=guardian_a.user, subject="a", text="a", now=now)
    services.ask_question(guardian=guardian_b, asked_by=guardian_b.user, subject="b", text="b", now=now)

    assert list(permissions.own_questions(guardian_a.user)) == [mine]
    assert list(permissions.own_questions(office)) == []
