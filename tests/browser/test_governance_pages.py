"""The other governance pages, reached as their users reach them, pass axe on a phone-sized screen."""

import pytest
from django.utils import timezone

from portal.demo import DEMO_PASSWORD, seed_demo_school
from school.models import Pupil

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.policy("GOV-4")
def test_policy_review_audit_and_family_data_pages_are_accessible(portal, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())
    child = Pupil.objects.get(mis_id="DEMO-P028")  # parent1's Year 3 child

    portal.goto("/policy/")
    portal.sign_in("head@demo.egps.test", DEMO_PASSWORD)
    for path in (
        "/governance/policy/",
        "/governance/policy/new/",
        "/governance/audit/",
        "/governance/leavers/",
        "/governance/retention/",
    ):
        portal.goto(path)
    portal.sign_out()

    portal.sign_in("parent1@demo.egps.test", DEMO_PASSWORD)
    portal.goto("/governance/family/")
    portal.click(role="link", name=child.full_name)
    assert "Consent history" in portal.page.content()
    download = portal.page.get_by_role("link", name="Download as a file (JSON)")
    assert download.get_attribute("href").endswith("download.json")
