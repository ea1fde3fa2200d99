"""Every POST the Django admin takes, made by the superuser who uses it as a break-glass tool
(issue 17: no exemption for the admin namespace in the POST-coverage check). Each test posts
valid data through the front door, past the staff-MFA middleware, and checks the database.

The changelists of the meeting reports and the audit history offer no action and no editable
column even to a superuser (read-only by design), so they take no POST to test;
tests/post_coverage.py leaves them out by asking their ModelAdmin, not by namespace."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from auditlog.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from platforms.models import MeetingReport
from safeguarding.models import DslAbsence
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, settings, superuser):
    """The superuser, signed in with MFA set up, as the admin requires in production."""
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    Authenticator.objects.create(user=superuser, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(superuser)
    assert client.get("/django-admin/").status_code == 200  # past the MFA middleware
    return client


def _delete_selected(client, changelist, *objects):
    return client.post(
        reverse(changelist),
        {"action": "delete_selected", "_selected_action": [str(o.pk) for o in objects], "post": "yes"},
    )


def test_the_superuser_deletes_an_ordinary_account_from_the_user_list(admin_client, teacher):
    leaver = UserFactory(email="leaver@example.test")

    response = _delete_selected(admin_client, "admin:accounts_user_changelist", leaver)

    assert response.status_code == 302
    assert not User.objects.filter(pk=leaver.pk).exists()
    assert User.objects.filter(pk=teacher.pk).exists()


def test_the_superuser_removes_a_stale_address_from_the_address_list(admin_client, teacher):
    stale = EmailAddress.objects.create(user=teacher, email="old-teacher@example.test", verified=False, primary=False)
    kept = EmailAddress.objects.create(user=teacher, email=teacher.email, verified=True, primary=True)

    response = _delete_selected(admin_client, "admin:account_emailaddress_changelist", stale)

    assert response.status_code == 302
    assert list(EmailAddress.objects.filter(user=teacher)) == [kept]


def test_the_superuser_removes_a_lost_phone_from_the_authenticator_list(admin_client, teacher):
    lost = Authenticator.objects.create(user=teacher, type=Authenticator.Type.TOTP, data={"secret": "lost"})

    response = _delete_selected(admin_client, "admin:mfa_authenticator_changelist", lost)

    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=lost.pk).exists()
    assert Authenticator.objects.filter(user__is_superuser=True).count() == 1  # their own is untouched


def test_the_superuser_deletes_a_group_from_the_group_list(admin_client):
    unused = Group.objects.create(name="Unused")
    kept = Group.objects.create(name="Kept")

    response = _delete_selected(admin_client, "admin:auth_group_changelist", unused)

    assert response.status_code == 302
    assert list(Group.objects.all()) == [kept]


def test_the_superuser_unlinks_a_social_account_from_the_list(admin_client, teacher):
    linked = SocialAccount.objects.create(user=teacher, provider="openid_connect", uid="teacher-at-idp")

    response = _delete_selected(admin_client, "admin:socialaccount_socialaccount_changelist", linked)

    assert response.status_code == 302
    assert not SocialAccount.objects.filter(pk=linked.pk).exists()


def test_the_superuser_removes_a_mistaken_dsl_absence_from_the_rota(admin_client, dsl, head):
    now = timezone.now()
    mistaken = DslAbsence.objects.create(
        user=dsl, starts_at=now, ends_at=now + dt.timedelta(days=1), recorded_by=head, recorded_at=now
    )

    response = _delete_selected(admin_client, "admin:safeguarding_dslabsence_changelist", mistaken)

    assert response.status_code == 302
    assert not DslAbsence.objects.exists()


def test_the_superuser_sets_a_new_password_for_an_ordinary_account(admin_client, teacher):
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[teacher.pk]),
        {"password1": "a-fresh-start-2026", "password2": "a-fresh-start-2026", "usable_password": "true"},
    )

    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.check_password("a-fresh-start-2026")


def test_the_admin_sign_in_form_sends_the_password_to_allauth_not_past_it(client, superuser):
    """The project wraps the admin's login in allauth's (egps_portal/urls.py): a POST of the
    right password to the admin's own form signs nobody in; it is sent to allauth's sign-in,
    which is rate-limited and asks for the second factor."""
    Authenticator.objects.create(user=superuser, type=Authenticator.Type.TOTP, data={"secret": "x"})
    credentials = {"username": superuser.email, "password": "correct-horse-battery"}

    response = client.post(reverse("admin:login"), credentials)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("account_login")
    assert parse_qs(location.query)["next"] == [reverse("admin:login")]
    assert SESSION_KEY not in client.session

    signed_in = client.post(response["Location"], {"login": superuser.email, "password": "correct-horse-battery"})

    assert signed_in["Location"] == reverse("mfa_authenticate")
    assert SESSION_KEY not in client.session  # the password alone does not open the admin


@pytest.mark.parametrize(
    "model",
    [
        "account/emailaddress",
        "accounts/user",
        "auditlog/logentry",
        "auth/group",
        "mfa/authenticator",
        "platforms/meetingreport",
        "safeguarding/dslabsence",
        "socialaccount/socialaccount",
    ],
)
def test_an_old_style_admin_object_url_sends_a_post_on_to_the_change_page_and_changes_nothing(admin_client, teacher, model):
    """Before Django 1.9 the change page was /<model>/<id>/; the admin still redirects there."""
    before = (User.objects.count(), LogEntry.objects.count(), MeetingReport.objects.count())
    app_label, model_name = model.split("/")

    response = admin_client.post(f"/django-admin/{model}/{teacher.pk}/", {"email": "changed@example.test"})

    assert response.status_code == 302
    assert response["Location"] == reverse(f"admin:{app_label}_{model_name}_change", args=[teacher.pk])
    assert (User.objects.count(), LogEntry.objects.count(), MeetingReport.objects.count()) == before
    assert User.objects.get(pk=teacher.pk).email == "teacher@example.test"
