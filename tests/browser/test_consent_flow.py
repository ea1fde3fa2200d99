"""CON-2 end to end: parent1 withdraws video-call consent for a child in two clicks, sees the
new state and the time; teacher1's class consent view then shows that child as withdrawn."""

import pytest
from django.utils import timezone

from consent.models import ConsentDecision
from portal.demo import DEMO_PASSWORD, seed_demo_school
from school.models import Pupil

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.policy("CON-2")
def test_parent_withdraws_and_the_teacher_sees_it(portal, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())
    child = Pupil.objects.select_related("school_class").get(mis_id="DEMO-P028")  # parent1's Year 3 child

    portal.sign_in("parent1@demo.egps.test", DEMO_PASSWORD)
    portal.goto("/consent/")
    card = portal.page.get_by_test_id(f"child-{child.pk}").get_by_test_id("scope-video_calls")
    card.get_by_role("link", name="Withdraw consent").click()  # click 1
    portal.page.wait_for_load_state()
    portal.audit()
    portal.click(role="button", name="Yes, withdraw consent")  # click 2

    card = portal.page.get_by_test_id(f"child-{child.pk}").get_by_test_id("scope-video_calls")
    assert "Consent withdrawn" in card.inner_text()
    decided_at = timezone.localtime(ConsentDecision.objects.filter(pupil=child).first().decided_at)
    assert f"{decided_at:%H:%M}" in card.get_by_test_id("decided").inner_text()
    portal.sign_out()

    portal.sign_in("teacher1@demo.egps.test", DEMO_PASSWORD)
    portal.goto(f"/consent/classes/{child.school_class.pk}/")
    row = portal.page.get_by_test_id(f"pupil-{child.pk}")
    assert "Withdrawn" in row.inner_text()
