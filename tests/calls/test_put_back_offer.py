"""Issue 19: after consent is given again, the offer to put the child back on the calls they were
taken off stays on the family's pages (video calls page, the child's page, the dashboard's "Needs
you") until the parent accepts or declines it, or the calls start or are cancelled. Through HTTP as
the parent; another family neither sees nor acts on it."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from calls.models import CallInvitation
from calls.services import booking
from consent.choices import Scope
from tests.calls.conftest import NOW, TUESDAY_10

pytestmark = pytest.mark.django_db

OFFER = 'data-testid="put-back-offer"'


@pytest.fixture(autouse=True)
def _monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def group_call(book, consented, child_a):
    return book(pupil_ids=[child_a.pk])


def _regive(client, child):
    client.post(reverse("consent:change", args=[child.pk, Scope.VIDEO_CALLS, "withdraw"]), {})
    return client.post(reverse("consent:change", args=[child.pk, Scope.VIDEO_CALLS, "give"]), {})


def _pages(client, child) -> dict[str, str]:
    return {
        "calls": client.get(reverse("calls:family")).content.decode(),
        "child": client.get(reverse("school:child", args=[child.pk])).content.decode(),
        "dashboard": client.get("/").content.decode(),
    }


def _active(call, pupil) -> bool:
    return CallInvitation.objects.filter(call=call, pupil=pupil, removed_at__isnull=True).exists()


def test_the_offer_stays_on_the_family_pages_after_navigating_away(client, parent_a, child_a, group_call):
    client.force_login(parent_a)
    response = _regive(client, child_a)
    put_back = reverse("calls:put_back", args=[child_a.pk])
    assert response.url == put_back

    client.get(reverse("consent:family"))  # the parent goes elsewhere first
    pages = _pages(client, child_a)

    assert OFFER in pages["calls"]
    assert group_call.title in pages["calls"]
    assert f'href="{put_back}"' in pages["calls"]
    assert OFFER in pages["child"]
    assert f'href="{put_back}"' in pages["child"]
    assert 'data-testid="needs-you-put-back"' in pages["dashboard"]
    assert group_call.title in client.get(put_back).content.decode()


def test_accepting_later_puts_the_child_back_and_the_offer_goes(client, parent_a, child_a, group_call):
    client.force_login(parent_a)
    _regive(client, child_a)
    client.get(reverse("calls:family"))

    response = client.post(reverse("calls:put_back", args=[child_a.pk]), {"call": [group_call.pk]})

    assert response.status_code == 302
    assert _active(group_call, child_a)
    assert all(OFFER not in page for page in _pages(client, child_a).values())


def test_no_thank_you_ends_the_offer_and_leaves_the_child_off(client, parent_a, child_a, group_call):
    client.force_login(parent_a)
    _regive(client, child_a)

    response = client.post(reverse("calls:put_back", args=[child_a.pk]), {"answer": "no"})

    assert response.status_code == 302
    assert not _active(group_call, child_a)
    assert CallInvitation.objects.get(call=group_call, pupil=child_a).put_back_declined_at == NOW
    pages = _pages(client, child_a)
    assert all(OFFER not in page for page in pages.values())
    assert 'data-testid="needs-you-put-back"' not in pages["dashboard"]


def test_a_no_is_not_asked_again_when_consent_changes_without_the_child_going_back(client, parent_a, child_a, group_call):
    client.force_login(parent_a)
    _regive(client, child_a)
    client.post(reverse("calls:put_back", args=[child_a.pk]), {"answer": "no"})

    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        response = _regive(client, child_a)
        page = client.get(reverse("calls:family")).content.decode()

    assert response.url == reverse("consent:family")
    assert OFFER not in page


def test_another_family_neither_sees_nor_acts_on_the_offer(client, parent_a, parent_b, child_a, group_call):
    client.force_login(parent_a)
    _regive(client, child_a)
    url = reverse("calls:put_back", args=[child_a.pk])

    client.force_login(parent_b)
    family_page = client.get(reverse("calls:family")).content.decode()
    dashboard = client.get("/").content.decode()

    assert OFFER not in family_page
    assert group_call.title not in family_page
    assert 'data-testid="needs-you-put-back"' not in dashboard
    assert client.get(url).status_code == 404
    assert client.post(url, {"call": [group_call.pk]}).status_code == 404
    assert client.post(url, {"answer": "no"}).status_code == 404
    assert CallInvitation.objects.get(call=group_call, pupil=child_a).put_back_declined_at is None
    assert not _active(group_call, child_a)


def test_a_cancelled_call_is_no_longer_offered(client, parent_a, child_a, group_call, teacher):
    client.force_login(parent_a)
    _regive(client, child_a)

    booking.cancel_call(call=group_call, cancelled_by=teacher, now=NOW, reason="The teacher is ill.")

    assert all(OFFER not in page for page in _pages(client, child_a).values())
    assert group_call.title not in client.get(reverse("calls:put_back", args=[child_a.pk])).content.decode()


def test_a_call_that_has_started_is_no_longer_offered(client, parent_a, child_a, group_call):
    client.force_login(parent_a)
    _regive(client, child_a)

    with time_machine.travel(TUESDAY_10 + dt.timedelta(minutes=1), tick=False):
        client.force_login(parent_a)  # a day later: a new session
        pages = _pages(client, child_a)
        response = client.post(reverse("calls:put_back", args=[child_a.pk]), {"call": [group_call.pk]})

    assert all(OFFER not in page for page in pages.values())
    assert response.status_code == 200
    assert not _active(group_call, child_a)
