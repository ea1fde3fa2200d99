"""SG-1..SG-4 end to end: teacher1 raises a disclosure from a call, the DSL is alerted without details, opens
it, acknowledges, logs a phone call and closes it; teacher1 cannot open it; the reads are recorded."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import User
from calls.choices import CallKind, CallStatus, Platform
from calls.models import Call, CallInvitation
from notifications.models import OutboxMessage
from portal.demo import DEMO_PASSWORD, seed_demo_school
from safeguarding.models import Concern, ConcernAccess
from school.models import Pupil

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = "Mum's boyfriend locks me in my room when I am naughty"
WHAT = "During the phonics call the pupil whispered something worrying when her mum left the room"


def a_call_with(pupil) -> Call:
    """teacher1's group call with `pupil` (test data written directly: the booking rules are not under test)."""
    teacher1 = User.objects.get(email="teacher1@demo.egps.test")
    starts_at = timezone.now() + dt.timedelta(days=2)
    call = Call.objects.create(
        kind=CallKind.GROUP,
        title="Year 3 phonics",
        activity="Phonics games.",
        platform=Platform.MICROSOFT_TEAMS,
        starts_at=starts_at,
        duration_minutes=30,
        ends_at=starts_at + dt.timedelta(minutes=30),
        host=teacher1,
        second_staff=User.objects.get(email="dsl@demo.egps.test"),
        status=CallStatus.SCHEDULED,
        booked_by=teacher1,
        booked_at=timezone.now(),
    )
    CallInvitation.objects.create(call=call, pupil=pupil, invited_at=timezone.now())
    return call


def raise_disclosure(portal, pupil):
    call = a_call_with(pupil)
    portal.sign_in("teacher1@demo.egps.test", DEMO_PASSWORD)
    portal.goto(f"/calls/{call.pk}/")
    portal.click(role="link", name="Raise a concern")  # the call page's own button, pre-filled from the call
    page = portal.page
    # The call had one pupil: they are chosen already, shown as a removable choice beside the type-ahead.
    assert page.locator("input[name=pupils]:checked").evaluate_all("boxes => boxes.map(b => b.value)") == [str(pupil.pk)]
    assert page.get_by_role("button", name=f"{pupil.full_name}").is_visible()
    page.get_by_label("A disclosure by the pupil").check()
    page.get_by_label("What happened").fill(WHAT)
    page.get_by_label("The child's own words").fill(WORDS)
    page.get_by_label("What you did straight away").fill("Listened, reassured her, did not ask leading questions")
    portal.click(name="Send to the DSL")
    reference = page.get_by_test_id("receipt-reference").inner_text()
    assert WORDS not in page.content()
    portal.sign_out()
    concern = Concern.objects.get(reference=reference)
    assert concern.source_call_id == call.pk
    return concern


def work_the_concern(portal, concern):
    page = portal.page
    portal.sign_in("dsl@demo.egps.test", DEMO_PASSWORD)
    portal.goto(f"/safeguarding/concerns/{concern.pk}/")  # the link in the alert; signed in just now, so no password again
    assert WORDS in page.get_by_text(WORDS).inner_text()
    portal.click(name="Acknowledge")
    page.get_by_label("Action taken").select_option("phone_call")
    page.get_by_label("Details of the action").fill("Phoned mum from the school's number; agreed to meet tomorrow")
    portal.click(name="Record action")
    page.get_by_label("Outcome").select_option("early_help")
    page.get_by_label("Closing notes").fill("Early help assessment opened")
    portal.click(name="Close concern")
    assert page.get_by_test_id("concern-state").inner_text() == "Closed"
    portal.sign_out()


def test_teacher_raises_a_disclosure_and_only_the_dsl_reads_and_works_it(portal, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())
    pupil = Pupil.objects.get(mis_id="DEMO-P031")

    concern = raise_disclosure(portal, pupil)

    (alert,) = OutboxMessage.objects.filter(kind="concern-alert", body_text__contains=f"/concerns/{concern.pk}/")
    assert alert.recipient_email == "dsl@demo.egps.test"
    for secret in (WORDS, WHAT, pupil.first_name, pupil.last_name):
        assert secret not in f"{alert.subject}{alert.body_text}{alert.body_html}"

    work_the_concern(portal, concern)
    assert list(concern.entries.values_list("kind", flat=True)) == ["acknowledged", "action", "closed"]

    portal.sign_in("teacher1@demo.egps.test", DEMO_PASSWORD)
    response = portal.page.goto(portal.url(f"/safeguarding/concerns/{concern.pk}/"))  # an error page, not audited
    assert response.status == 404
    portal.goto("/")
    portal.sign_out()

    portal.sign_in("dsl@demo.egps.test", DEMO_PASSWORD)
    portal.goto(f"/safeguarding/concerns/{concern.pk}/")
    record = portal.page.get_by_test_id("access-record").inner_text()
    assert len(re.findall("dsl@demo.egps.test", record)) == ConcernAccess.objects.filter(concern=concern).count() >= 4
    assert "teacher1@" not in record


def test_the_dsl_pages_work_on_a_phone_and_unavailability_reroutes_alerts(portal, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())
    demo_pupil = Pupil.objects.get(mis_id="DEMO-P030")  # the demo concern is about this pupil
    page = portal.page

    portal.sign_in("dsl@demo.egps.test", DEMO_PASSWORD)
    portal.goto("/safeguarding/?state=open")
    assert page.get_by_test_id("state").first.inner_text() == "Acknowledged"
    portal.goto(f"/safeguarding/pupils/{demo_pupil.pk}/")
    assert "raised voice" in page.get_by_test_id("pupil-chronology").inner_text()
    portal.goto("/safeguarding/access/")
    portal.goto("/safeguarding/availability/")
    page.get_by_label("Until").fill("2099-01-01T12:00")
    portal.click(name="Mark unavailable")
    assert "Sarah Lloyd" in page.get_by_test_id("absences").inner_text()
    portal.sign_out()

    portal.sign_in("teacher1@demo.egps.test", DEMO_PASSWORD)
    portal.goto(f"/safeguarding/raise/?pupil={demo_pupil.pk}")
    page.get_by_label("Other", exact=True).check()
    page.get_by_label("What happened").fill("Pupil arrived on the call hungry again")
    page.get_by_label("What you did straight away").fill("Told the office")
    portal.click(name="Send to the DSL")
    portal.goto("/safeguarding/receipts/")

    newest = Concern.objects.order_by("-raised_at").first()
    recipients = set(
        OutboxMessage.objects.filter(kind="concern-alert", body_text__contains=f"/concerns/{newest.pk}/").values_list(
            "recipient_email", flat=True
        )
    )
    assert recipients == {"ddsl@demo.egps.test"}
