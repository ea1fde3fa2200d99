"""Staff sign-in with Microsoft or Google, end to end against fake identity providers.

Each sign-in is driven as a browser would: POST the portal's "Sign in with ..." form, follow the
redirect to the provider's authorize page (a real HTTP server on 127.0.0.1, tests/accounts/
fake_idp.py), come back to the portal's callback with the code and state; allauth then exchanges
the code and reads the profile over HTTP itself. Refusals must leave nothing behind.
"""

import functools
import html
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from accounts.choices import Role
from accounts.models import User
from accounts.sso import StaffSocialAccountAdapter
from accounts.sso_config import google_provider, microsoft_provider
from tests.accounts.fake_idp import MICROSOFT_CONSUMERS_TENANT, FakeIdentityProvider, forwarding_session
from tests.factories import staff_user

pytestmark = pytest.mark.django_db

TENANT = "3f2a9c1e-58d4-4b7a-9e61-0c5d7b2a4f10"
OTHER_TENANT = "a1b2c3d4-0000-4000-8000-123456789abc"
MS_CLIENT, MS_SECRET = "portal-ms-client", "ms-secret-value"
GOOGLE_CLIENT, GOOGLE_SECRET = "portal-google-client.apps.googleusercontent.com", "google-secret-value"
DOMAIN = "example.test"  # the cast in tests/conftest.py has @example.test addresses
REFUSED = "You cannot sign in with"


@pytest.fixture(scope="module")
def idp():
    server = FakeIdentityProvider(clients={MS_CLIENT: MS_SECRET, GOOGLE_CLIENT: GOOGLE_SECRET}).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def sso(settings, idp, monkeypatch):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "microsoft": microsoft_provider(client_id=MS_CLIENT, secret=MS_SECRET, tenant=TENANT, domains=[DOMAIN]),
        "google": google_provider(client_id=GOOGLE_CLIENT, secret=GOOGLE_SECRET, workspace_domain=DOMAIN),
    }
    settings.PORTAL_SSO_TRUSTS_IDP_MFA = False
    settings.PORTAL_GOOGLE_TRUSTS_WORKSPACE_2SV = False
    idp.sign_with = idp.key
    idp.next_identity = None

    # allauth makes every provider call through the social adapter's requests session: this one
    # carries the vendors' hostnames to the fake server and refuses every other host.
    def get_requests_session(self):
        session = forwarding_session(idp)
        session.request = functools.partial(session.request, timeout=5)
        return session

    monkeypatch.setattr(StaffSocialAccountAdapter, "get_requests_session", get_requests_session)
    return idp


def _microsoft_person(user_or_upn, *, tid=TENANT, amr=("pwd", "mfa"), mail=None, oid="00000000-0000-0000-0000-00000000a11c"):
    upn = user_or_upn if isinstance(user_or_upn, str) else user_or_upn.email
    return {
        "claims": {"tid": tid, "oid": oid, "preferred_username": upn, "amr": list(amr), "name": "Someone"},
        "profile": {
            "id": oid,
            "userPrincipalName": upn,
            "mail": mail or upn,
            "displayName": "Someone",
            "givenName": "Some",
            "surname": "One",
        },
    }


def _google_person(user_or_email, *, hd=DOMAIN, email_verified=True, sub="10987654321"):
    email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
    claims = {"sub": sub, "email": email, "email_verified": email_verified, "given_name": "Some", "family_name": "One"}
    if hd is not None:
        claims["hd"] = hd
    return {"claims": claims, "profile": {"id": sub, "email": email, "verified_email": email_verified}}


def _sign_in_with(client, idp, provider, person):
    """The whole round trip; returns the portal's answer to the callback and the authorize URL."""
    idp.sign_in_as(**person)
    start = client.post(reverse(f"{provider}_login"), {"process": "login"})
    assert start.status_code == 302, start.content
    authorize_url = start["Location"]
    # The browser at the provider: the fake signs the person in and redirects back with a code.
    at_provider = forwarding_session(idp).get(authorize_url, allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302, at_provider.text
    callback = urlsplit(at_provider.headers["Location"])
    assert callback.path == f"/accounts/{provider}/login/callback/"
    return client.get(f"{callback.path}?{callback.query}"), authorize_url


def _signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def _rows():
    return User.objects.count(), SocialAccount.objects.count(), EmailAddress.objects.count()


def _assert_refused(response, before, text=REFUSED):
    assert response.status_code == 403, response.content.decode()[:500]
    assert text in html.unescape(response.content.decode())
    assert _rows() == before


# --- Microsoft ---------------------------------------------------------------------------------


def test_staff_of_the_school_tenant_signs_in_with_microsoft(client, idp, teacher):
    before = _rows()

    response, authorize_url = _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in_user_id(client) == str(teacher.pk)
    # The school's tenant endpoint, never /common or /organizations, with PKCE.
    url = urlsplit(authorize_url)
    assert url.hostname == "login.microsoftonline.com"
    assert url.path == f"/{TENANT}/oauth2/v2.0/authorize"
    query = parse_qs(url.query)
    assert query["code_challenge_method"] == ["S256"]
    assert "openid" in query["scope"][0].split()
    # allauth itself fetched the token, discovery, keys and the Graph profile.
    served = {path for _, path in idp.requests}
    assert {f"login.microsoftonline.com/{TENANT}/oauth2/v2.0/token", "graph.microsoft.com/v1.0/me"} <= served
    assert f"login.microsoftonline.com/{TENANT}/discovery/v2.0/keys" in served
    # Connected to the existing account: no new user, no address added from the provider.
    account = SocialAccount.objects.get(provider="microsoft")
    assert account.user == teacher
    assert _rows() == (before[0], before[1] + 1, before[2])
    assert client.get(reverse("home")).status_code == 200


def test_another_address_the_school_holds_for_the_staff_member_matches(client, idp, teacher):
    EmailAddress.objects.create(user=teacher, email=f"t.teacher@{DOMAIN}", verified=True, primary=False)

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(f"t.teacher@{DOMAIN}"))

    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(teacher.pk)


def test_a_second_microsoft_sign_in_uses_the_same_connection(client, idp, teacher):
    _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))
    client.logout()

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))

    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(teacher.pk)
    assert SocialAccount.objects.filter(user=teacher).count() == 1


def test_an_account_of_another_tenant_is_refused(client, idp, teacher):
    before = _rows()

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher, tid=OTHER_TENANT))

    _assert_refused(response, before, "does not belong to the school")
    assert _signed_in_user_id(client) is None


def test_a_personal_microsoft_account_is_refused(client, idp, teacher):
    before = _rows()

    person = _microsoft_person("tara.teacher@outlook.com", tid=MICROSOFT_CONSUMERS_TENANT)
    response, _ = _sign_in_with(client, idp, "microsoft", person)

    _assert_refused(response, before, "does not belong to the school")
    assert _signed_in_user_id(client) is None


def test_a_parent_is_refused_even_with_an_address_in_the_school_domain(client, idp, parent_a):
    before = _rows()

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(parent_a))

    _assert_refused(response, before, "Parents and carers sign in with their email address and password.")
    assert _signed_in_user_id(client) is None


def test_an_unknown_address_is_refused_and_no_account_is_created(client, idp, teacher):
    before = _rows()

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(f"newcomer@{DOMAIN}"))

    _assert_refused(response, before, f"no staff account with the address newcomer@{DOMAIN}")
    assert not User.objects.filter(email=f"newcomer@{DOMAIN}").exists()
    assert not SocialAccount.objects.exists()


def test_the_unverified_mail_attribute_is_never_used_to_match(client, idp, teacher):
    """Anyone whose directory entry says mail=teacher@... is still someone else: the UPN counts."""
    before = _rows()

    person = _microsoft_person(f"intruder@{DOMAIN}", mail=teacher.email)
    response, _ = _sign_in_with(client, idp, "microsoft", person)

    _assert_refused(response, before)
    assert _signed_in_user_id(client) is None


def test_a_guest_in_the_school_tenant_is_refused(client, idp, settings, teacher):
    # Even with the tenant's onmicrosoft.com domain listed, where guests' UPNs live.
    settings.SOCIALACCOUNT_PROVIDERS["microsoft"] = microsoft_provider(
        client_id=MS_CLIENT, secret=MS_SECRET, tenant=TENANT, domains=[DOMAIN, "school.onmicrosoft.com"]
    )
    before = _rows()

    guest_upn = f"{teacher.email.replace('@', '_')}#EXT#@school.onmicrosoft.com"
    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(guest_upn))

    _assert_refused(response, before, "not a school staff account")


def test_a_domain_outside_the_schools_verified_domains_is_refused(client, idp, settings, teacher):
    settings.SOCIALACCOUNT_PROVIDERS["microsoft"] = microsoft_provider(
        client_id=MS_CLIENT, secret=MS_SECRET, tenant=TENANT, domains=["other.example"]
    )
    before = _rows()

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))

    _assert_refused(response, before, "not a school staff account")


def test_an_id_token_signed_with_another_key_signs_nobody_in(client, idp, teacher):
    idp.sign_with = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    before = _rows()

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))

    assert _signed_in_user_id(client) is None
    assert "teacher" not in response.content.decode().lower()
    assert _rows() == before


def test_an_id_token_about_someone_else_than_the_graph_profile_signs_nobody_in(client, idp, teacher):
    person = _microsoft_person(teacher)
    person["claims"]["oid"] = "ffffffff-0000-0000-0000-000000000000"
    before = _rows()

    _sign_in_with(client, idp, "microsoft", person)

    assert _signed_in_user_id(client) is None
    assert _rows() == before


def test_an_inactive_staff_account_is_refused(client, idp, teacher):
    User.objects.filter(pk=teacher.pk).update(is_active=False)
    before = _rows()

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))

    _assert_refused(response, before)


def test_a_staff_member_who_lost_their_role_is_refused_next_time(client, idp, teacher):
    _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))
    client.logout()
    teacher.staff_roles.all().delete()

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))

    assert response.status_code == 403
    assert _signed_in_user_id(client) is None


def test_a_connection_follows_the_directory_not_the_first_sign_in(client, idp, teacher):
    """The address moved to someone else (a new colleague with the same name): the old
    connection signs in neither of them."""
    _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))
    client.logout()
    old_address = teacher.email
    User.objects.filter(pk=teacher.pk).update(email=f"tara.left@{DOMAIN}")
    staff_user(Role.TEACHER, email=old_address)
    before = _rows()

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(old_address))

    _assert_refused(response, before, "connected to another portal account")
    assert _signed_in_user_id(client) is None


def test_a_signed_in_parent_cannot_connect_a_microsoft_account(client, idp, parent_a, teacher):
    client.force_login(parent_a)
    idp.sign_in_as(**_microsoft_person(teacher))
    start = client.post(reverse("microsoft_login"), {"process": "connect"})
    at_provider = forwarding_session(idp).get(start["Location"], allow_redirects=False, timeout=5)
    callback = urlsplit(at_provider.headers["Location"])

    response = client.get(f"{callback.path}?{callback.query}")

    assert response.status_code == 403
    assert not SocialAccount.objects.exists()


def test_a_callback_without_a_state_of_ours_signs_nobody_in(client, teacher):
    response = client.get(reverse("microsoft_callback"), {"code": "stolen", "state": "made-up"})

    assert 400 <= response.status_code < 500
    assert _signed_in_user_id(client) is None


# --- Google ------------------------------------------------------------------------------------


def test_staff_of_the_school_workspace_sign_in_with_google(client, idp, office):
    before = _rows()

    response, authorize_url = _sign_in_with(client, idp, "google", _google_person(office))

    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(office.pk)
    assert parse_qs(urlsplit(authorize_url).query)["hd"] == [DOMAIN]
    assert SocialAccount.objects.get(provider="google").user == office
    assert _rows() == (before[0], before[1] + 1, before[2])


def test_a_google_account_of_another_workspace_is_refused(client, idp, office):
    before = _rows()

    response, _ = _sign_in_with(client, idp, "google", _google_person(office, hd="other-school.example"))

    _assert_refused(response, before, "does not belong to the school's Google Workspace")


def test_a_personal_gmail_account_is_refused(client, idp, office):
    before = _rows()

    response, _ = _sign_in_with(client, idp, "google", _google_person(office, hd=None))

    _assert_refused(response, before, "does not belong to the school's Google Workspace")


def test_a_google_address_not_verified_is_refused(client, idp, office):
    before = _rows()

    response, _ = _sign_in_with(client, idp, "google", _google_person(office, email_verified=False))

    _assert_refused(response, before, "has not verified")


def test_a_parent_is_refused_with_google(client, idp, parent_a):
    before = _rows()

    response, _ = _sign_in_with(client, idp, "google", _google_person(parent_a))

    _assert_refused(response, before, "Parents and carers sign in")


def test_an_unknown_google_address_is_refused(client, idp, office):
    before = _rows()

    response, _ = _sign_in_with(client, idp, "google", _google_person(f"stranger@{DOMAIN}"))

    _assert_refused(response, before, "no staff account")


# --- Multi-factor ------------------------------------------------------------------------------


@pytest.fixture
def enforce_mfa(settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = True


def test_trusted_microsoft_mfa_counts_as_the_second_factor(client, idp, settings, teacher, enforce_mfa):
    settings.PORTAL_SSO_TRUSTS_IDP_MFA = True

    _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher, amr=("pwd", "mfa")))

    assert client.get(reverse("home")).status_code == 200


def test_a_microsoft_sign_in_without_mfa_still_needs_totp(client, idp, settings, teacher, enforce_mfa):
    settings.PORTAL_SSO_TRUSTS_IDP_MFA = True

    _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher, amr=("pwd",)))

    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_idp_mfa_is_not_trusted_unless_the_school_says_so(client, idp, teacher, enforce_mfa):
    _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher, amr=("pwd", "mfa")))

    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_turning_trust_off_takes_effect_on_the_next_page(client, idp, settings, teacher, enforce_mfa):
    settings.PORTAL_SSO_TRUSTS_IDP_MFA = True
    _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))
    assert client.get(reverse("home")).status_code == 200

    settings.PORTAL_SSO_TRUSTS_IDP_MFA = False

    assert client.get(reverse("home")).status_code == 302


def _give_totp(user):
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})


def test_staff_with_totp_are_not_asked_for_it_after_trusted_microsoft_mfa(client, idp, settings, teacher, enforce_mfa):
    settings.PORTAL_SSO_TRUSTS_IDP_MFA = True
    _give_totp(teacher)

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in_user_id(client) == str(teacher.pk)


def test_staff_with_totp_are_asked_for_it_when_idp_mfa_is_not_trusted(client, idp, teacher, enforce_mfa):
    _give_totp(teacher)

    response, _ = _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert _signed_in_user_id(client) is None


def test_google_sign_in_needs_totp_unless_the_school_trusts_its_workspace_2sv(client, idp, settings, office, enforce_mfa):
    settings.PORTAL_SSO_TRUSTS_IDP_MFA = True

    _sign_in_with(client, idp, "google", _google_person(office))

    # Google's ID token says nothing about 2-Step Verification.
    assert client.get(reverse("home")).status_code == 302


def test_google_sign_in_counts_as_mfa_when_workspace_2sv_is_trusted(client, idp, settings, office, enforce_mfa):
    settings.PORTAL_SSO_TRUSTS_IDP_MFA = True
    settings.PORTAL_GOOGLE_TRUSTS_WORKSPACE_2SV = True

    _sign_in_with(client, idp, "google", _google_person(office))

    assert client.get(reverse("home")).status_code == 200


def test_a_password_sign_in_never_counts_as_idp_mfa(client, idp, settings, teacher, enforce_mfa):
    settings.PORTAL_SSO_TRUSTS_IDP_MFA = True
    _sign_in_with(client, idp, "microsoft", _microsoft_person(teacher))
    client.post(reverse("account_logout"))

    client.post(reverse("account_login"), {"login": teacher.email, "password": "correct-horse-battery"})

    assert _signed_in_user_id(client) == str(teacher.pk)
    assert client.get(reverse("home")).status_code == 302


# --- The sign-in page and configuration ----------------------------------------------------------


def test_the_sign_in_page_shows_the_configured_providers(client):
    page = client.get(reverse("account_login")).content.decode()

    assert "Sign in with Microsoft" in page
    assert "Sign in with Google" in page
    assert f'action="{reverse("microsoft_login")}' in page


def test_no_buttons_and_no_sign_in_when_nothing_is_configured(client, settings, idp, teacher):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    page = client.get(reverse("account_login")).content.decode()
    started = client.post(reverse("microsoft_login"), {"process": "login"})

    assert "Sign in with Microsoft" not in page
    assert "Sign in with Google" not in page
    assert started.status_code == 404
    assert _signed_in_user_id(client) is None


def _settings_in_subprocess(env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_MICROSOFT", "PORTAL_GOOGLE"))}
    env |= {"DJANGO_SETTINGS_MODULE": "egps_portal.settings.base", **env_extra}
    code = (
        "from django.conf import settings; import json; print(json.dumps(settings.SOCIALACCOUNT_PROVIDERS));"
        " print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )


def test_settings_build_the_providers_from_the_environment_and_secret_files(tmp_path):
    secret_file = tmp_path / "ms-secret"
    secret_file.write_text("from-a-file\n")

    result = _settings_in_subprocess(
        {
            "PORTAL_MICROSOFT_CLIENT_ID": "cid",
            "PORTAL_MICROSOFT_CLIENT_SECRET_FILE": str(secret_file),
            "PORTAL_MICROSOFT_TENANT": TENANT.upper(),
            "PORTAL_MICROSOFT_DOMAINS": "Example.test,staff.example.test",
        }
    )

    assert result.returncode == 0, result.stderr
    assert '"secret": "from-a-file"' in result.stdout
    assert f'"tenant": "{TENANT}"' in result.stdout
    assert '"google"' not in result.stdout
    # The sign-in button's form redirects to Microsoft: the browser must be allowed to follow.
    assert "'https://login.microsoftonline.com'" in result.stdout
    assert "accounts.google.com" not in result.stdout


@pytest.mark.parametrize(
    ("env_extra", "message"),
    [
        ({"PORTAL_MICROSOFT_TENANT": "common"}, "must be the tenant ID"),
        ({"PORTAL_MICROSOFT_TENANT": "organizations"}, "must be the tenant ID"),
        ({"PORTAL_MICROSOFT_CLIENT_SECRET": ""}, "needs PORTAL_MICROSOFT_CLIENT_ID"),
    ],
)
def test_a_half_configured_microsoft_sign_in_stops_start_up(env_extra, message):
    env = {
        "PORTAL_MICROSOFT_CLIENT_ID": "cid",
        "PORTAL_MICROSOFT_CLIENT_SECRET": "s",
        "PORTAL_MICROSOFT_TENANT": TENANT,
        "PORTAL_MICROSOFT_DOMAINS": DOMAIN,
    } | env_extra

    result = _settings_in_subprocess(env)

    assert result.returncode != 0
    assert message in result.stderr


def test_google_without_a_workspace_domain_stops_start_up():
    result = _settings_in_subprocess({"PORTAL_GOOGLE_CLIENT_ID": "cid", "PORTAL_GOOGLE_CLIENT_SECRET": "s"})

    assert result.returncode != 0
    assert "PORTAL_GOOGLE_WORKSPACE_DOMAIN" in result.stderr
