"""Issue 19: "Remind these families" on the head's and office's "Needs you" list."""

import pytest
from django.urls import reverse

from consent.models import ConsentReminder
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["head", "office"])
def test_the_head_and_office_remind_every_family_that_never_answered(client, request, who, guardian_a, guardian_b):
    client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("consent:school_remind"))

    assert response.status_code == 302
    reminded = set(OutboxMessage.objects.filter(kind="consent-reminder").values_list("recipient_email", flat=True))
    assert reminded == {guardian_a.email, guardian_b.email}
    assert ConsentReminder.objects.count() == 2


def test_a_second_press_the_same_week_sends_nothing_more(client, head, guardian_a):
    client.force_login(head)
    client.post(reverse("consent:school_remind"))

    client.post(reverse("consent:school_remind"))

    assert OutboxMessage.objects.filter(kind="consent-reminder").count() == 1


@pytest.mark.parametrize("who", ["parent_a", "teacher", "dsl"])
def test_others_cannot_remind(client, request, who, guardian_a):
    client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("consent:school_remind"))

    assert response.status_code == 403
    assert not ConsentReminder.objects.exists()


def test_remind_is_post_only(client, head):
    client.force_login(head)

    assert client.get(reverse("consent:school_remind")).status_code == 405
