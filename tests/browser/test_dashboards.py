"""Foundation: every demo account signs in through the real login page and sees its role."""

import pytest
from django.utils import timezone

from portal.demo import DEMO_PASSWORD, seed_demo_school

pytestmark = pytest.mark.django_db(transaction=True)

ROLE_NAMES = {
    "head": "Headteacher",
    "deputy": "Deputy head",
    "dsl": "Designated Safeguarding Lead",
    "ddsl": "Deputy DSL",
    "teacher1": "Teacher",
    "teacher2": "Teacher",
    "teacher3": "Teacher",
    "office": "Office",
    "parent1": "Parent/carer",
    "parent2": "Parent/carer",
    "parent3": "Parent/carer",
}


def test_every_demo_account_signs_in_and_sees_its_role(portal, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())

    for name, role_name in ROLE_NAMES.items():
        portal.sign_in(f"{name}@demo.egps.test", DEMO_PASSWORD)
        roles_text = portal.page.get_by_test_id("roles").inner_text()
        portal.sign_out()

        assert role_name in roles_text, f"{name} saw {roles_text!r}"
    assert len(portal.pages_audited) >= len(ROLE_NAMES)
