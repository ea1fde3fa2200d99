"""Trust: every response carries a Permissions-Policy that allows camera and microphone nowhere
on the portal (calls happen on the video platform's own site), whatever the page, the person,
the status or the content type. (tests/portal/test_links.py checks it on every page it crawls.)"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

OFF_EVERYWHERE = ("camera", "microphone", "display-capture", "geolocation")


def _policy(response) -> dict[str, str]:
    """The header as a browser reads it (structured-field dictionary: feature=(allowlist), ...)."""
    header = response["Permissions-Policy"]
    return {name.strip(): value.strip() for name, value in (item.split("=", 1) for item in header.split(","))}


def _assert_off(response):
    policy = _policy(response)
    for feature in OFF_EVERYWHERE:
        assert policy[feature] == "()", (feature, policy)


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/accounts/password/reset/", "/policy/", "/healthz", "/no-such-page/", "/platforms/bbb/callback/"],
)
def test_anonymous_responses_carry_it(client, path):
    response = client.get(path)

    assert response.status_code in (200, 302, 403, 404)
    _assert_off(response)


def test_signed_in_pages_redirects_and_posts_carry_it(client, teacher, parent_a):
    client.force_login(teacher)
    _assert_off(client.get("/"))
    _assert_off(client.get(reverse("calls:list")))
    client.force_login(parent_a)
    _assert_off(client.get("/"))
    _assert_off(client.post(reverse("calls:feed_change"), {"action": "issue"}))
    _assert_off(client.get("/logs/"))  # refused to a parent: still carries it


def test_the_calendar_feed_and_exports_carry_it(client, parent_a):
    client.force_login(parent_a)
    url = client.post(reverse("calls:feed_change"), {"action": "issue"}).context["feed_url"]
    client.logout()

    feed = client.get("/" + url.split("://", 1)[1].split("/", 1)[1])

    assert feed["Content-Type"].startswith("text/calendar")
    _assert_off(feed)
