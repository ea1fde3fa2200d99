"""Welfare contacts end to end (LOG-5, CALL-1): teacher1 logs a phone call to parent1 from the child's
contact history, made from a withheld number, and it appears in the history in date order."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.demo import DEMO_PASSWORD, demo_email, seed_demo_school
from school.models import Pupil
from sessionlogs.models import WelfareContact

pytestmark = pytest.mark.django_db(transaction=True)

LONDON = ZoneInfo("Europe/London")
THURSDAY_2PM = dt.datetime(2026, 12, 3, 14, 0, tzinfo=LONDON)


@pytest.mark.policy("LOG-5")
def test_teacher_logs_a_welfare_phone_call_and_sees_it_in_the_contact_history(portal):
    with time_machine.travel(THURSDAY_2PM, tick=True):
        seed_demo_school(THURSDAY_2PM)
        pupil = Pupil.objects.get(mis_id="DEMO-P028")  # parent1's Year 3 child, in teacher1's class
        portal.sign_in(demo_email("teacher1"), DEMO_PASSWORD)
        portal.goto("/logs/")
        portal.goto(f"/logs/pupils/{pupil.pk}/")
        portal.click(role="link", name="Log a phone call or home visit")

        page = portal.page
        page.get_by_label("Phone call", exact=True).check()
        page.get_by_label("Spoke with").select_option(label="Priya Patel")
        page.get_by_label("Time (UK)").fill("13:30")
        page.get_by_label("Length (minutes)").fill("12")
        page.get_by_label("Another phone with the number withheld ('private')").check()
        page.get_by_label("Outcome").fill("Checked in after absence; all well, back on Monday.")
        portal.click(name="Save the welfare contact")

        history = page.get_by_test_id("contact-history").inner_text()
        assert "Checked in after absence" in history
        assert "Another phone with the number withheld" in history
        assert WelfareContact.objects.filter(pupil=pupil, staff__email=demo_email("teacher1")).count() == 2  # demo's + this

        portal.click(role="link", name="Change")
        page.get_by_label("What suits this child and family").select_option(label="Home visit")
        portal.click(name="Save")
        assert "Home visit" in page.get_by_test_id("contact-preference").inner_text()
