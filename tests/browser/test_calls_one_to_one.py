"""The one-to-one flow end to end (CALL-4, COM-4, CALL-6): teacher1 books, parent1 agrees, the head
approves, parent1's personal join link arrives by email and, inside the window, hands over the link.

The live server runs in a thread of this process, so time_machine moves its clock too.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine

from consent.choices import Scope
from consent.selectors import has_consent
from consent.services import give_consent
from notifications.models import OutboxMessage
from portal.demo import DEMO_PASSWORD, demo_email, seed_demo_school
from school.models import Guardian, Pupil

pytestmark = pytest.mark.django_db(transaction=True)

LONDON = ZoneInfo("Europe/London")
MONDAY_9AM = dt.datetime(2026, 11, 30, 9, 0, tzinfo=LONDON)
TITLE = "Reading catch-up with Tara"
MEETING = "https://teams.example.test/l/meetup-join/reading-catch-up"


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def link_in(kind: str, to: str, pattern: str) -> str:
    message = OutboxMessage.objects.filter(kind=kind, recipient_email=to).latest("pk")
    return path_of(re.search(pattern, message.body_text).group(0))


def _child_with_consent():
    pupil = Pupil.objects.get(mis_id="DEMO-P028")  # parent1's Year 3 child, in teacher1's class
    if not has_consent(pupil, Scope.VIDEO_CALLS):
        parent1 = Guardian.objects.get(user__email=demo_email("parent1"))
        give_consent(pupil=pupil, guardian=parent1, scope=Scope.VIDEO_CALLS, decided_by=parent1.user, now=MONDAY_9AM)
    return pupil


def _book(portal, pupil):
    portal.sign_in(demo_email("teacher1"), DEMO_PASSWORD)
    portal.goto("/calls/book/")
    page = portal.page
    page.get_by_label("One-to-one", exact=True).check()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("What pupils will do online").fill("Read the class book together and talk about it.")
    page.get_by_label("Date").fill("2026-11-30")
    page.get_by_label("Start time (UK time)").fill("10:30")
    page.get_by_label("Second member of staff").select_option(label="Sarah Lloyd")
    page.get_by_label(re.compile(rf"{pupil.full_name} \(Year 3\)")).check()
    page.get_by_label("Meeting link (staff only)").fill(MEETING)
    portal.click(name="Book call")
    assert page.get_by_test_id("call-status").inner_text() == "Waiting for the parent or carer to agree"
    # teacher1 booked it, so teacher1 can never approve it: no queue, and the address refuses.
    assert portal.page.request.get(portal.url("/calls/approvals/")).status == 403
    portal.goto("/calls/")  # the list, audited like every page
    portal.sign_out()


def _parent_agrees(portal):
    portal.sign_in(demo_email("parent1"), DEMO_PASSWORD)
    portal.goto(link_in("call-agreement-request", demo_email("parent1"), r"https?://\S+/calls/family/\d+/"))
    portal.click(name="I agree to this time")
    assert "you agreed to this time" in portal.page.content()
    portal.goto("/calls/family/")
    portal.sign_out()


def _head_approves(portal):
    portal.sign_in(demo_email("head"), DEMO_PASSWORD)
    portal.goto("/calls/approvals/")
    row = portal.page.locator("section", has=portal.page.get_by_role("heading", name=TITLE))
    row.get_by_label("Approve").check()
    row.get_by_role("button", name="Record decision").click()
    portal.page.wait_for_load_state()
    portal.audit()
    assert "Your decision on" in portal.page.content()
    portal.sign_out()


def test_one_to_one_from_booking_to_joining(portal):
    with time_machine.travel(MONDAY_9AM, tick=True):
        seed_demo_school(MONDAY_9AM)
        pupil = _child_with_consent()
        _book(portal, pupil)
        _parent_agrees(portal)
        _head_approves(portal)
        join_path = link_in("call-join", demo_email("parent1"), r"https?://\S+/calls/join/[A-Za-z0-9_-]+/")

    with time_machine.travel(MONDAY_9AM.replace(hour=10, minute=20), tick=True):
        portal.goto(join_path)
        # Issue 16: the link works only for parent1's own account, so a signed-out browser signs in
        # first and comes back to the link.
        portal.click(role="link", name="Sign in to join")
        portal.page.get_by_label("Email").fill(demo_email("parent1"))
        portal.page.get_by_label("Password").fill(DEMO_PASSWORD)
        with portal.page.expect_navigation():
            portal.page.get_by_role("button", name="Sign In").click()
        portal.click(name="Join the call")

        link = portal.page.get_by_test_id("platform-link")
        assert link.get_attribute("href") == MEETING
        assert portal.page.get_by_test_id("real-name").inner_text() == pupil.full_name
