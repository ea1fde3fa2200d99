"""Trust, accounts (issue 9, point 2): staff MFA before any page about children, re-authentication
for safeguarding records and every export, failed sign-ins limited (429), session timeouts, session
keys rotated and killed, and sessions that survive a Redis outage.

Run: python -m pytest tests/trust/test_accounts_security.py -q
"""

import datetime as dt
import socket
import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts import sessions

from .conftest import PASSWORD, signed_in
from .test_authorization_matrix import build_url, named_urls

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
STAFF = ("teacher", "office", "head", "dsl", "ddsl")
# URL arguments that name a child, a class, a call or a concern: the pages "about children".
ABOUT_CHILDREN = {"pupil_id", "class_id", "call_id", "concern_id", "reference"}


def sign_in(client, email, password=PASSWORD, path=LOGIN):
    return client.post(path, {"login": email, "password": password})


def staff_pages(world) -> dict:
    """{name: url} of every GET page outside sign-in, MFA set-up, the public policy and health checks."""
    from accounts.middleware import ALLOWED_PREFIXES

    from . import authz_table

    found = {}
    for name, pattern in sorted(named_urls().items()):
        rows = authz_table.rows_for(name)
        url = build_url(world, name, pattern)
        if rows and rows[0]["method"] == "GET" and not url.startswith(ALLOWED_PREFIXES):
            found[name] = url
    return found


def pages_about_children() -> set:
    """Names of the pages whose address names a child, a class, a call or a concern."""
    return {name for name, pattern in named_urls().items() if set(pattern.pattern.regex.groupindex) & ABOUT_CHILDREN}


# --- MFA for staff (PORTAL_ENFORCE_STAFF_MFA) -------------------------------------------------


@pytest.mark.parametrize("role", STAFF)
def test_staff_without_mfa_reach_no_page_about_children_nor_any_other(world, settings, role):
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    client = signed_in(world.people[role])
    pages = staff_pages(world)

    answers = {name: client.get(url) for name, url in pages.items()}

    about_children = pages_about_children() & set(answers)
    assert len(about_children) >= 20  # pupils, classes, calls, logs, concerns, exports...
    wrong = {name: r.status_code for name, r in answers.items() if r.get("Location") != reverse("mfa_activate_totp")}
    assert wrong == {}


def test_staff_with_mfa_and_parents_are_let_through(world, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    Authenticator.objects.create(user=world.teacher, type=Authenticator.Type.TOTP, data={"secret": "x"})

    teacher_page = signed_in(world.teacher).get(reverse("school:pupil", args=[world.child_a.pk]))
    parent_page = signed_in(world.parent_a).get(reverse("school:child", args=[world.child_a.pk]))

    assert teacher_page.status_code == 200
    assert parent_page.status_code == 200


# --- re-authentication for safeguarding records and exports -----------------------------------

STALE = settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60
# (url name, method, who may use it): safeguarding records and every export.
SENSITIVE = [
    ("safeguarding:concern", "GET", "dsl"),
    ("safeguarding:correct", "GET", "dsl"),
    ("safeguarding:chronology", "GET", "dsl"),
    ("safeguarding:export", "POST", "dsl"),
    ("school:pupils_csv", "GET", "office"),
    ("consent:class_csv", "GET", "teacher"),
    ("sessionlogs:pupil_history_csv", "GET", "teacher"),
    ("governance:overview_csv", "GET", "head"),
    ("governance:family_data_json", "GET", "parent_a"),
]


def _stale_client(user):
    client = signed_in(user)
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time() - STALE}]
    session.save()
    return client


@pytest.mark.policy("SG-3")
@pytest.mark.parametrize(("name", "method", "role"), SENSITIVE)
def test_records_and_exports_ask_for_the_password_again_after_the_window(world, name, method, role):
    url = build_url(world, name, named_urls()[name])
    stale, fresh = _stale_client(world.people[role]), signed_in(world.people[role])

    asked = stale.get(url) if method == "GET" else stale.post(url)
    served = fresh.get(url) if method == "GET" else fresh.post(url)

    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert served.status_code == 200


# --- failed sign-ins: 5 per account per 5 minutes, then 429 even with the right password ------


def test_five_failed_sign_ins_lock_the_account_even_for_the_right_password(world):
    client = Client()

    failures = [sign_in(client, world.teacher.email, "wrong-password").status_code for _ in range(5)]
    locked = sign_in(client, world.teacher.email)

    assert failures == [200] * 5  # the form again, with an error
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_account_and_lifts_after_five_minutes(world):
    client = Client()
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        for _ in range(5):
            sign_in(client, world.teacher.email, "wrong-password")

        other = sign_in(Client(), world.office.email)
        clock.shift(dt.timedelta(minutes=5, seconds=1))
        later = sign_in(client, world.teacher.email)

    assert other.status_code == 302
    assert later.status_code == 302
    assert later["Location"] == "/"


def test_the_django_admin_login_goes_through_the_same_limit(world):
    client = Client()

    direct = sign_in(client, world.superuser.email, path="/django-admin/login/")
    for _ in range(5):
        sign_in(client, world.superuser.email, "wrong-password", path=f"{LOGIN}?next=/django-admin/")
    locked = sign_in(client, world.superuser.email, path=f"{LOGIN}?next=/django-admin/")

    assert direct.status_code == 302  # the admin's own form never checks a password
    assert direct["Location"].startswith(LOGIN)
    assert locked.status_code == 429
    assert client.get("/django-admin/").status_code == 302  # still not signed in


def test_re_authentication_is_limited_too(world):
    client = signed_in(world.dsl)
    url = reverse("account_reauthenticate")

    for _ in range(5):
        client.post(url, {"password": "wrong-password"})
    locked = client.post(url, {"password": PASSWORD})

    assert locked.status_code == 429


# --- session timeouts -------------------------------------------------------------------------


def _signed_in_by_password(user):
    client = Client()
    assert sign_in(client, user.email).status_code == 302
    return client


def _still_signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200


@pytest.mark.parametrize(("minutes", "signed_in_after"), [(29, True), (31, False)])
def test_staff_sessions_end_after_30_idle_minutes(world, minutes, signed_in_after):
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        client = _signed_in_by_password(world.teacher)
        clock.shift(dt.timedelta(minutes=minutes))

        assert _still_signed_in(client) is signed_in_after


def test_a_busy_staff_session_still_ends_12_hours_after_sign_in(world):
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        client = _signed_in_by_password(world.head)
        for _ in range(36):  # a request every 20 minutes for 12 hours
            clock.shift(dt.timedelta(minutes=20))
            assert _still_signed_in(client)
        clock.shift(dt.timedelta(minutes=2))

        response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_parents_are_not_timed_out_when_idle_but_are_after_12_hours(world):
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        client = _signed_in_by_password(world.parent_a)
        clock.shift(dt.timedelta(hours=3))
        after_three_idle_hours = _still_signed_in(client)
        clock.shift(dt.timedelta(hours=9, minutes=1))

        assert after_three_idle_hours
        assert not _still_signed_in(client)


def test_policy_function_of_the_timeouts():
    start = 1_000_000.0

    assert not sessions.session_expired(signed_in_at=start, seen_at=start, now=start + 29 * 60, is_staff=True)
    assert sessions.session_expired(signed_in_at=start, seen_at=start, now=start + 31 * 60, is_staff=True)
    assert not sessions.session_expired(signed_in_at=start, seen_at=start, now=start + 11 * 3600, is_staff=False)
    assert sessions.session_expired(signed_in_at=start, seen_at=start + 12 * 3600, now=start + 12 * 3600 + 1, is_staff=False)


# --- session keys: rotated at sign-in, killed at sign-out --------------------------------------


def test_sign_in_rotates_the_session_key(world):
    client = Client()
    anonymous = client.session
    anonymous["probe"] = "before sign-in"
    anonymous.save()
    before = anonymous.session_key

    sign_in(client, world.parent_a.email)

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_sign_out_kills_the_session(world):
    client = _signed_in_by_password(world.teacher)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post(reverse("account_logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key

    assert not Session.objects.filter(session_key=key).exists()
    assert replay.get("/")["Location"].startswith(LOGIN)


# --- sessions survive a Redis outage (SESSION_ENGINE accounts.sessions, cached_db underneath) ---


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dead_cache(settings):
    """Point the cache at a Redis where nothing listens (we start nothing: the shared Redis is untouched)."""

    def down():
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            }
        }
        from django.core.cache import cache

        with pytest.raises(Exception):  # noqa: B017, PT011 - any connection error proves it is down
            cache.get("anything")

    return down


def test_a_signed_in_session_still_works_while_redis_is_down(world, dead_cache):
    client = _signed_in_by_password(world.office)
    dead_cache()

    export = client.get(reverse("school:pupils_csv"))  # a page that needs the session, not the school cache
    client.post(reverse("account_logout"))

    assert export.status_code == 200
    assert b"Amelia" in export.content
    assert client.get(reverse("school:pupils_csv")).status_code == 302  # signed out, even without the cache


def test_the_session_store_reads_the_database_when_the_cache_raises(world, dead_cache):
    store = sessions.SessionStore()
    store["probe"] = "kept"
    store.save()
    dead_cache()

    again = sessions.SessionStore(store.session_key)

    assert again["probe"] == "kept"
