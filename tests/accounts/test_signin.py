"""Signing in: password reset mail through the outbox, failed sign-ins rate-limited (the admin
login too), staff sent to set up TOTP when enforcement is on, deployment checks clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.urls import reverse

from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"  # tests/factories.UserFactory
TOO_MANY = "Too many failed login attempts. Try again later."


def _locked_out(response) -> bool:
    """allauth 65 alone answers a locked-out sign-in with the form (200) and an error; with
    accounts.sessions.SessionSecurityMiddleware installed the portal answers 429 instead."""
    if response.status_code == 429:
        return True
    return response.status_code == 200 and TOO_MANY in response.content.decode()


def _sign_in(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _reauthenticate(client):
    return client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


def test_password_reset_mail_goes_through_the_outbox(client, parent_a, django_capture_on_commit_callbacks, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.org"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": parent_a.email})

    assert response.status_code == 302
    message = OutboxMessage.objects.get(recipient_email=parent_a.email)
    assert message.kind == "account-message"
    assert "https://portal.example.org/accounts/password/reset/key/" in message.body_text
    assert message.dedupe_key.startswith("allauth:password_reset_key:")
    assert [m.to for m in mail.outbox] == [[parent_a.email]]


def test_password_reset_for_an_unknown_address_sends_nothing_to_anyone_else(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "nobody@example.test"})

    # With ACCOUNT_PREVENT_ENUMERATION allauth tells the unknown address it has no account.
    assert all(m.recipient_email == "nobody@example.test" for m in OutboxMessage.objects.all())


def test_a_correct_password_signs_in(client, parent_a):
    response = _sign_in(client, parent_a.email, PASSWORD)

    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_failed_sign_ins_are_limited_to_five_per_account_per_five_minutes(client, parent_a):
    for _ in range(5):
        assert not _locked_out(_sign_in(client, parent_a.email, "wrong-password"))

    blocked = _sign_in(client, parent_a.email, PASSWORD)

    assert _locked_out(blocked)
    assert "_auth_user_id" not in client.session


def test_the_limit_is_per_account(client, parent_a, parent_b):
    for _ in range(5):
        _sign_in(client, parent_a.email, "wrong-password")

    assert _sign_in(client, parent_b.email, PASSWORD).status_code == 302


def test_the_django_admin_login_is_allauths_rate_limited_login(client, superuser):
    """secure_admin_login sends every admin sign-in through allauth's login page."""
    response = client.post("/django-admin/login/", {"username": superuser.email, "password": "wrong"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    for _ in range(5):
        _sign_in(client, superuser.email, "wrong-password")
    assert _locked_out(_sign_in(client, superuser.email, PASSWORD))
    assert "_auth_user_id" not in client.session


def test_staff_without_totp_are_sent_to_set_it_up_when_enforced(client, teacher, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    _sign_in(client, teacher.email, PASSWORD)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("school:classes"))["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password again before any MFA change (a fresh sign-in does not count).
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    assert _reauthenticate(client).status_code == 302
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_staff_with_totp_are_not_redirected(client, teacher, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    Authenticator.objects.create(user=teacher, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(teacher)

    assert client.get("/").status_code == 200


def test_parents_are_not_asked_for_totp(client, parent_a, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    client.force_login(parent_a)

    assert client.get("/").status_code == 200


def test_staff_are_not_redirected_when_enforcement_is_off(client, teacher, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    client.force_login(teacher)

    assert client.get("/").status_code == 200


def test_sign_in_reset_and_mfa_pages_have_labels_and_an_error_summary(client, teacher):
    failed = _sign_in(client, "someone@example.test", "wrong").content.decode()
    reset = client.get(reverse("account_reset_password")).content.decode()
    _sign_in(client, teacher.email, PASSWORD)
    _reauthenticate(client)
    totp = client.get(reverse("mfa_activate_totp")).content.decode()

    assert "There is a problem" in failed
    assert 'for="id_login"' in failed
    assert 'for="id_email"' in reset
    assert 'for="id_code"' in totp
    assert 'for="authenticator_secret"' in totp


def test_deployment_checks_are_clean_with_production_settings():
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "egps_portal.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-real-secret-key-for-the-deployment-check-" + "x9Qz" * 10,
        "DJANGO_ALLOWED_HOSTS": "portal.example.org",
        "PORTAL_BASE_URL": "https://portal.example.org",
        "PORTAL_FIELD_ENCRYPTION_KEY": os.environ.get(
            "PORTAL_FIELD_ENCRYPTION_KEY", "t8wJ0Yx7cF4r1mQ9Zk2Lp5Vn3Hs6Bd0Ge8Ua1Ri4Wo="
        ),
    }
    env.pop("DATABASE_URL", None)
    # The browser harness allows async-unsafe ORM use in its own process; a deployment never does.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_staff_with_totp_are_asked_for_a_code_on_a_labelled_page_and_get_in_with_it(client, teacher, settings):
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    settings.PORTAL_ENFORCE_STAFF_MFA = True
    secret = generate_totp_secret()
    TOTP.activate(teacher, secret)

    step = _sign_in(client, teacher.email, PASSWORD)
    page = client.get(step["Location"]).content.decode()
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    done = client.post(step["Location"], {"code": code})

    assert step["Location"] == reverse("mfa_authenticate")
    assert 'for="id_code"' in page
    assert done.status_code == 302
    assert client.get("/").status_code == 200
