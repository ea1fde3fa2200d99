"""Issue 19, point 4: on the calendar page, copy and subscribe come first; "make a new address" second."""

import pytest
from django.urls import reverse

from calls.models import CalendarFeed

pytestmark = pytest.mark.django_db


def test_a_new_address_is_offered_to_copy_and_subscribe_before_making_another(client, parent_a):
    client.force_login(parent_a)

    page = client.post(reverse("calls:feed_change"), {"action": "issue"}).content.decode()

    feed = page.split('data-testid="feed-url"')[0].rsplit('value="', 1)[1].split('"', 1)[0]
    assert 'href="webcal:' + feed.split(":", 1)[1] + '"' in page
    assert page.index("Copy the address") < page.index("Subscribe in my calendar app") < page.index("Make a new address")
    assert CalendarFeed.objects.filter(user=parent_a, revoked_at__isnull=True).count() == 1


def test_with_an_address_already_made_the_page_leads_with_it_and_making_another_is_secondary(client, parent_a):
    client.force_login(parent_a)
    client.post(reverse("calls:feed_change"), {"action": "issue"})

    page = client.get(reverse("calls:feed_settings")).content.decode()

    assert 'data-testid="feed-active"' in page
    assert page.index('data-testid="feed-active"') < page.index("Make a new address")
    assert "btn-outline-secondary" in page.split("Make a new address")[0][-200:]
