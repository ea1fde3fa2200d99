"""Who sees which emails (GOV-2): your own messages only; the outbox for head and office."""

import pytest

from notifications.models import OutboxMessage, OutboxState
from notifications.permissions import (
    can_manage_outbox,
    messages_sent_to,
    outbox_visible_to,
    relevant_staff,
    staff_messages_visible_to,
)
from school.permissions import pupils_visible_to

pytestmark = pytest.mark.django_db


def _row(key, email, user=None, state=OutboxState.SENT):
    return OutboxMessage.objects.create(
        kind="k", recipient_email=email, recipient_user=user, subject=key, body_text="b", dedupe_key=key, state=state
    )


def test_each_person_sees_the_messages_sent_to_their_account_and_nothing_else(parent_a, parent_b, teacher):
    by_account = _row("a1", "old-address@example.test", user=parent_a)
    _row("a2", parent_a.email.upper())  # to the same address string, but for no account: not theirs (issue 16)
    _row("b1", parent_b.email, user=parent_b)
    _row("t1", teacher.email)

    assert set(messages_sent_to(parent_a)) == {by_account}


def test_signed_out_visitors_see_no_messages(client):
    from django.contrib.auth.models import AnonymousUser

    _row("x", "someone@example.test")

    assert not messages_sent_to(AnonymousUser()).exists()


@pytest.mark.parametrize(
    ("fixture", "allowed"),
    [("head", True), ("office", True), ("deputy", False), ("dsl", False), ("teacher", False), ("parent_a", False)],
)
def test_only_head_and_office_see_the_outbox(request, fixture, allowed):
    user = request.getfixturevalue(fixture)
    failed = _row("f", "x@example.test", state=OutboxState.FAILED)
    _row("s", "y@example.test", state=OutboxState.SENT)

    assert can_manage_outbox(user) is allowed
    assert list(outbox_visible_to(user)) == ([failed] if allowed else [])


def test_relevant_staff_are_exactly_the_staff_who_can_see_the_pupil(request, teacher, teacher_b, parent_a, child_a):
    names = ["head", "deputy", "dsl", "ddsl", "teacher", "teacher_b", "office", "parent_a"]
    everyone = [request.getfixturevalue(name) for name in names]

    can_see = {u for u in everyone if pupils_visible_to(u).filter(pk=child_a.pk).exists() and u.is_school_staff}

    assert set(relevant_staff(child_a)) == can_see
    assert teacher_b not in can_see
    assert teacher in can_see


def test_staff_messages_are_seen_by_author_copied_staff_and_leadership(teacher, dsl, teacher_b, head, child_a, guardian_a, now):
    from notifications.services import send_staff_message

    message = send_staff_message(author=teacher, pupil=child_a, cc_staff=[dsl], subject="s", body="b", now=now)

    for user, sees in [(teacher, True), (dsl, True), (head, True), (teacher_b, False)]:
        assert staff_messages_visible_to(user).filter(pk=message.pk).exists() is sees
