"""Issue 16, point 6: one address must not block every sign-in.

Failed sign-ins are limited per account (5 in 5 minutes, as before). Per IP address they are
limited only far above what a whole school behind one address (the school network, a mobile
carrier's shared address) reaches in normal use, and correct sign-ins never count against
anyone. Each test signs in through the sign-in page as people behind one address would.

Run: pytest tests/accounts/test_signin_limits.py -q
"""

import datetime as dt

import pytest
import time_machine
from allauth.account import app_settings as allauth_settings
from allauth.core.internal.ratelimit import parse_rates
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory
SCHOOL_NETWORK = "203.0.113.10"  # everyone at school, or on one carrier, shows this one address
ELSEWHERE = "198.51.100.7"
# A large primary school: every parent/carer and member of staff with an account.
WHOLE_SCHOOL = 700


def sign_in(email, password=PASSWORD, ip=SCHOOL_NETWORK):
    """One person's sign-in from their own browser behind `ip`."""
    return Client(REMOTE_ADDR=ip).post(reverse("account_login"), {"login": email, "password": password})


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/"


def locked_out(response) -> bool:
    return response.status_code == 429


@pytest.fixture
def people():
    return [UserFactory(email=f"person{n}@example.test") for n in range(40)]


def test_forty_people_signing_in_within_a_minute_from_one_address_all_get_in(people):
    # allauth's default "login" limit (30 a minute per IP, right passwords included) shut out
    # the 31st person at the school gate; the portal's flood guard is far above a school.
    with time_machine.travel(dt.datetime(2026, 11, 10, 8, 30, tzinfo=dt.UTC), tick=False):
        results = [sign_in(person.email) for person in people]

    assert all(signed_in(r) for r in results)


def test_thirty_five_mistyped_passwords_behind_one_address_lock_nobody_else_out(people):
    for person in people[:35]:
        assert not locked_out(sign_in(person.email, "wrong password"))

    assert signed_in(sign_in(people[35].email))
    assert signed_in(sign_in(people[0].email))  # one mistake each: not locked either


def test_one_guesser_behind_the_schools_address_locks_only_the_account_they_guess(people):
    target, neighbour = people[0], people[1]

    for _ in range(5):
        sign_in(target.email, "guess")

    assert locked_out(sign_in(target.email))  # the right password is refused too while it lasts
    assert signed_in(sign_in(neighbour.email))
    assert locked_out(sign_in(target.email, ip=ELSEWHERE))  # the limit is the account's, wherever from


def test_an_accounts_lockout_ends_after_five_minutes(people):
    start = dt.datetime(2026, 11, 10, 8, 30, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            sign_in(people[0].email, "guess")
        assert locked_out(sign_in(people[0].email))

    with time_machine.travel(start + dt.timedelta(minutes=5, seconds=1), tick=False):
        assert signed_in(sign_in(people[0].email))


def test_correct_sign_ins_never_count_towards_a_lockout(people):
    person = people[0]
    for _ in range(10):
        assert signed_in(sign_in(person.email))
    for _ in range(4):
        sign_in(person.email, "mistyped")

    assert signed_in(sign_in(person.email))


def test_a_password_spray_from_one_address_is_stopped_there_and_only_there():
    failures_allowed = next(r for r in parse_rates(allauth_settings.RATE_LIMITS["login_failed"]) if r.per == "ip").amount
    victims = [UserFactory(email=f"victim{n}@example.test") for n in range(failures_allowed // 4 + 1)]
    spray = [v.email for v in victims for _ in range(4)][:failures_allowed]  # four guesses each: no account locks

    for email in spray:
        assert not locked_out(sign_in(email, "Summer2026!", ip="192.0.2.66"))

    assert locked_out(sign_in(victims[-1].email, ip="192.0.2.66"))  # the sprayer's address is stopped
    assert signed_in(sign_in(victims[-1].email, ip=SCHOOL_NETWORK))  # nobody else is


def test_the_per_address_limits_sit_above_a_whole_schools_normal_use():
    rates = allauth_settings.RATE_LIMITS
    per_ip_failures = [r for r in parse_rates(rates["login_failed"]) if r.per == "ip"]
    per_account = [r for r in parse_rates(rates["login_failed"]) if r.per == "key"]
    per_ip_sign_ins = [r for r in parse_rates(rates["login"]) if r.per == "ip"]

    # Normal use at its worst: every account signs in within the same few minutes and one in ten
    # mistypes once. The per-address limits must sit above that; the per-account one stays at 5.
    assert all(r.amount >= WHOLE_SCHOOL // 10 * 2 for r in per_ip_failures)
    assert all(r.amount / max(r.duration / 60, 1) >= WHOLE_SCHOOL for r in per_ip_sign_ins)
    assert [(r.amount, r.duration) for r in per_account] == [(5, 300)]


def test_thirty_families_accepting_their_invitations_from_one_address_within_a_minute_all_get_in(office):
    from urllib.parse import urlsplit

    from accounts import services

    now = dt.datetime(2026, 11, 10, 18, 0, tzinfo=dt.UTC)
    invited = [
        services.create_account(email=f"family{n}@example.test", first_name="F", last_name=str(n), created_by=office, now=now)
        for n in range(30)
    ]

    for user in invited:
        browser = Client(REMOTE_ADDR=SCHOOL_NETWORK)
        step = browser.get(urlsplit(services.invitation_link(user)).path)
        chosen = browser.post(step["Location"], {"password1": "a-long-new-password-42", "password2": "a-long-new-password-42"})
        assert chosen.status_code == 302, f"{user.email} could not choose a password"

    assert all(signed_in(sign_in(user.email, "a-long-new-password-42")) for user in invited)


def test_a_sprayer_cannot_escape_the_per_address_limit_by_sending_forwarded_for_headers(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0  # no proxy of ours in front: the header is the caller's own
    failures_allowed = next(r for r in parse_rates(allauth_settings.RATE_LIMITS["login_failed"]) if r.per == "ip").amount
    victims = [UserFactory(email=f"spray{n}@example.test") for n in range(failures_allowed // 4 + 1)]
    spray = [v.email for v in victims for _ in range(4)][:failures_allowed]

    for n, email in enumerate(spray):
        browser = Client(REMOTE_ADDR="192.0.2.66", HTTP_X_FORWARDED_FOR=f"10.9.{n // 250}.{n % 250}")
        browser.post(reverse("account_login"), {"login": email, "password": "Winter2026!"})

    assert locked_out(sign_in(victims[-1].email, ip="192.0.2.66"))


def test_behind_the_schools_own_proxy_a_sprayer_is_stopped_at_their_own_address_only(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1  # PORTAL_TRUSTED_PROXY_COUNT=1: one reverse proxy of ours
    proxy = "10.0.0.2"
    failures_allowed = next(r for r in parse_rates(allauth_settings.RATE_LIMITS["login_failed"]) if r.per == "ip").amount
    victims = [UserFactory(email=f"proxied{n}@example.test") for n in range(failures_allowed // 4 + 1)]
    spray = [v.email for v in victims for _ in range(4)][:failures_allowed]
    for email in spray:
        Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.66").post(
            reverse("account_login"), {"login": email, "password": "Autumn2026!"}
        )

    sprayer = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="192.0.2.66")
    parent = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=SCHOOL_NETWORK)
    login = {"login": victims[-1].email, "password": PASSWORD}

    assert locked_out(sprayer.post(reverse("account_login"), login))
    assert signed_in(parent.post(reverse("account_login"), login))
