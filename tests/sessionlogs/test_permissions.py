"""GOV-2: who reads and writes which session logs and pupil histories. Parents never reach them."""

import pytest
from django.http import Http404

from sessionlogs import permissions

pytestmark = pytest.mark.django_db


@pytest.mark.policy("GOV-2")
def test_call_staff_and_whole_school_roles_see_a_calls_log(group_call, teacher, dsl, head, deputy, office, ddsl):
    for user in (teacher, dsl, head, deputy, office, ddsl):
        assert permissions.get_call_for_log(user, group_call.pk) == group_call


@pytest.mark.policy("GOV-2")
def test_other_teachers_and_parents_get_a_404_for_a_calls_log(group_call, teacher_b, parent_a):
    for user in (teacher_b, parent_a):
        with pytest.raises(Http404):
            permissions.get_call_for_log(user, group_call.pk)


@pytest.mark.policy("GOV-2")
def test_only_the_calls_staff_and_leadership_write_its_log(group_call, teacher, dsl, head, deputy, office, ddsl, teacher_b):
    writers = {u for u in (teacher, dsl, head, deputy, office, ddsl, teacher_b) if permissions.may_write_log(u, group_call)}

    assert writers == {teacher, dsl, head, deputy}


@pytest.mark.policy("GOV-2")
def test_visible_logs_agree_with_the_call_permission(group_call, teacher, teacher_b, head, log_input, after_call):
    from sessionlogs import services

    log = services.write_session_log(call=group_call, written_by=teacher, now=after_call, content=log_input(group_call))

    assert list(permissions.logs_visible_to(teacher)) == [log]
    assert list(permissions.logs_visible_to(head)) == [log]
    assert list(permissions.logs_visible_to(teacher_b)) == []


@pytest.mark.policy("GOV-2")
def test_pupil_history_is_for_staff_entitled_to_the_pupil_and_never_parents(child_a, teacher, teacher_b, office, parent_a):
    assert permissions.get_pupil_for_staff(teacher, child_a.pk) == child_a
    assert permissions.get_pupil_for_staff(office, child_a.pk) == child_a
    for user in (teacher_b, parent_a):
        with pytest.raises(Http404):
            permissions.get_pupil_for_staff(user, child_a.pk)


def test_only_the_head_annotates_and_only_the_dsl_team_marks_follow_ups(head, deputy, dsl, ddsl, teacher):
    assert [permissions.is_head(u) for u in (head, deputy, dsl)] == [True, False, False]
    assert [permissions.may_mark_safeguarding_follow_up(u) for u in (dsl, ddsl, teacher, head)] == [True, True, False, False]
