"""GOV-2: who sees which calls. Each visible_to queryset agrees with the object-level checks."""

import pytest
from django.http import Http404

from calls import permissions
from calls.choices import CallStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(book, consented, child_a, child_b, teacher_b, ddsl):
    mine = book(pupil_ids=[child_a.pk])
    theirs = book(pupil_ids=[child_b.pk], host=teacher_b, second_staff=ddsl, booked_by=teacher_b)
    return mine, theirs


@pytest.mark.policy("GOV-2")
def test_staff_see_the_calls_they_host_support_or_booked(calls, teacher, dsl, teacher_b, ddsl, office):
    mine, theirs = calls

    assert set(permissions.calls_visible_to(teacher)) == {mine}
    assert set(permissions.calls_visible_to(dsl)) == {mine}
    assert set(permissions.calls_visible_to(teacher_b)) == {theirs}
    assert set(permissions.calls_visible_to(ddsl)) == {theirs}
    assert set(permissions.calls_visible_to(office)) == set()


@pytest.mark.policy("GOV-2")
def test_the_head_and_deputy_see_every_call(calls, head, deputy):
    assert set(permissions.calls_visible_to(head)) == set(calls)
    assert set(permissions.calls_visible_to(deputy)) == set(calls)


@pytest.mark.policy("GOV-2")
def test_parents_see_no_staff_call_pages_and_only_their_childrens_calls(calls, parent_a, parent_b):
    mine, theirs = calls

    assert set(permissions.calls_visible_to(parent_a)) == set()
    assert set(permissions.family_calls_for(parent_a)) == {mine}
    assert set(permissions.family_calls_for(parent_b)) == {theirs}
    assert permissions.get_family_call(parent_a, mine.pk) == mine
    with pytest.raises(Http404):
        permissions.get_family_call(parent_a, theirs.pk)


@pytest.mark.policy("GOV-2")
def test_not_yours_and_does_not_exist_are_the_same_404(calls, teacher):
    mine, theirs = calls

    assert permissions.get_call_for_staff(teacher, mine.pk) == mine
    for call_id in (theirs.pk, 999999):
        with pytest.raises(Http404):
            permissions.get_call_for_staff(teacher, call_id)


@pytest.mark.policy("COM-4")
def test_only_the_calls_staff_and_booker_see_the_meeting_link(calls, teacher, dsl, head, teacher_b):
    mine, _ = calls

    assert permissions.may_see_meeting_details(teacher, mine)
    assert permissions.may_see_meeting_details(dsl, mine)
    assert not permissions.may_see_meeting_details(head, mine)
    assert not permissions.may_see_meeting_details(teacher_b, mine)


def test_who_manages_and_who_ticks(calls, teacher, dsl, head, teacher_b):
    mine, _ = calls

    assert permissions.may_manage(teacher, mine)
    assert permissions.may_manage(head, mine)
    assert not permissions.may_manage(teacher_b, mine)
    assert permissions.may_tick_checklist(dsl, mine)
    assert not permissions.may_tick_checklist(head, mine)


@pytest.mark.policy("CALL-4")
def test_only_the_head_and_deputy_have_an_approvals_queue(one_to_one, guardian_a, parent_a, head, deputy, teacher):
    from calls.services import one_to_ones
    from tests.calls.conftest import NOW

    one_to_ones.record_parent_agreement(call=one_to_one, guardian=guardian_a, decided_by=parent_a, now=NOW, agree=True)

    assert list(permissions.approvals_queue_for(head)) == [one_to_one]
    assert list(permissions.approvals_queue_for(deputy)) == [one_to_one]
    assert list(permissions.approvals_queue_for(teacher)) == []
    one_to_one.refresh_from_db()
    assert one_to_one.status == CallStatus.AWAITING_APPROVAL
