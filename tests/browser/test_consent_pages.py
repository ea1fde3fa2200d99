"""Every other consent page, reached as its users reach it, passes axe on a phone-sized screen."""

import pytest
from django.utils import timezone

from consent.models import FamilyQuestion
from portal.demo import DEMO_PASSWORD, seed_demo_school
from school.models import Pupil

pytestmark = pytest.mark.django_db(transaction=True)


def test_consent_pages_are_accessible(portal, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())
    child = Pupil.objects.select_related("school_class").get(mis_id="DEMO-P002")
    question = FamilyQuestion.objects.first()

    portal.sign_in("parent3@demo.egps.test", DEMO_PASSWORD)
    for path in ("/consent/guidance/", "/consent/questions/", f"/consent/questions/{question.pk}/"):
        portal.goto(path)
    portal.click(role="link", name="Back to your questions")
    portal.sign_out()

    portal.sign_in("office@demo.egps.test", DEMO_PASSWORD)
    for path in (
        "/consent/classes/",
        f"/consent/classes/{child.school_class.pk}/",
        f"/consent/pupils/{child.pk}/",
        "/consent/requests/new/",
        "/consent/acceptable-use/outstanding/",
        "/consent/queue/",
        f"/consent/queue/{question.pk}/",
    ):
        portal.goto(path)
    portal.page.get_by_label("Your reply").fill("Yes: your class teacher and a teaching assistant will be there.")
    portal.click(role="button", name="Send reply")
    assert "Reply saved" in portal.page.content()
