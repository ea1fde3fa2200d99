"""Staff sign-in with Microsoft in a real browser: the button on the sign-in page, the provider's
page (the fake identity provider of tests/accounts/fake_idp.py, reached directly), back to the
portal signed in. Every portal page on the way is checked with axe."""

import copy
import re

import pytest

from accounts.choices import Role
from accounts.sso_config import authorize_origins, microsoft_provider
from tests.accounts.fake_idp import MICROSOFT_GRAPH, MICROSOFT_LOGIN, FakeIdentityProvider
from tests.accounts.test_sso import DOMAIN, MS_CLIENT, MS_SECRET, TENANT, _microsoft_person
from tests.factories import parent_of, staff_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def idp(settings):
    server = FakeIdentityProvider(clients={MS_CLIENT: MS_SECRET}).start()
    base = f"http://127.0.0.1:{server.port}"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "microsoft": microsoft_provider(
            client_id=MS_CLIENT,
            secret=MS_SECRET,
            tenant=TENANT,
            domains=[DOMAIN],
            login_url=f"{base}/{MICROSOFT_LOGIN}",
            graph_url=f"{base}/{MICROSOFT_GRAPH}",
        )
    }
    # As settings do for a configured provider: the sign-in form may redirect to its origin.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] += authorize_origins(settings.SOCIALACCOUNT_PROVIDERS)
    settings.CONTENT_SECURITY_POLICY = policy
    settings.PORTAL_ENFORCE_STAFF_MFA = True
    settings.PORTAL_SSO_TRUSTS_IDP_MFA = True
    yield server
    server.stop()


def _sign_in_with_microsoft(portal):
    portal.goto("/accounts/login/")
    with portal.page.expect_navigation(url=re.compile(re.escape(portal.base_url))):
        portal.page.get_by_role("button", name="Sign in with Microsoft").click()
    portal.page.wait_for_load_state()
    portal.audit()


def test_a_teacher_signs_in_with_the_schools_microsoft_account(portal, idp):
    teacher = staff_user(Role.TEACHER, email=f"tara@{DOMAIN}", first_name="Tara", last_name="Teacher")
    idp.sign_in_as(**_microsoft_person(teacher, amr=("pwd", "mfa")))

    _sign_in_with_microsoft(portal)

    assert portal.page.url == f"{portal.base_url}/"
    assert "Teacher" in portal.page.get_by_test_id("roles").inner_text()


def test_a_parent_is_turned_back_to_the_password_sign_in(portal, idp):
    from tests.factories import PupilFactory

    guardian = parent_of(PupilFactory(), email=f"parent@{DOMAIN}")
    idp.sign_in_as(**_microsoft_person(guardian.user))

    _sign_in_with_microsoft(portal)

    assert "Parents and carers sign in with their email address and password." in portal.page.content()
    portal.click(role="link", name="Sign in with email and password")
    assert portal.page.url.endswith("/accounts/login/")
