"""GOV-1 end to end: head@ opens the compliance overview, sees the term's summary, follows a red
number to the list behind it and opens a section's charted weeks; teacher1 is refused (403)."""

import pytest
from django.utils import timezone

from portal.demo import DEMO_PASSWORD, seed_demo_school

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.policy("GOV-1")
def test_head_follows_a_red_number_and_a_teacher_is_refused(portal, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())

    portal.sign_in("head@demo.egps.test", DEMO_PASSWORD)
    assert portal.page.get_by_test_id("review-overdue").is_visible()  # the 2020 policy's review is overdue
    portal.goto("/governance/overview/")
    assert portal.page.get_by_role("heading", name="Is the policy being kept?").is_visible()
    assert portal.page.get_by_test_id("overview-summary").is_visible()
    red = portal.page.locator("main a.text-danger").first  # the demo has unanswered consent and a single-staff call
    red_number = int(red.inner_text())
    red.click()
    portal.page.wait_for_load_state()
    portal.audit()

    assert portal.page.get_by_role("link", name="Back to the overview").is_visible()
    assert portal.page.get_by_test_id("overview-list").locator("tbody tr").count() == min(red_number, 50)
    portal.page.get_by_role("link", name="Back to the overview").click()
    portal.page.get_by_role("link", name="Calls held: week by week").click()
    portal.page.wait_for_load_state()
    portal.audit()
    assert portal.page.locator("svg.overview-chart").count() == 1
    assert portal.page.get_by_test_id("overview-section").is_visible()
    portal.sign_out()

    portal.sign_in("teacher1@demo.egps.test", DEMO_PASSWORD)
    response = portal.goto("/governance/overview/")
    assert response.status == 403
