"""Staff journeys through forms that guide (GOV.UK patterns), in Chromium at a phone's 360 px:

- teacher1 books a group lesson and a one-to-one (the form adapts to the kind of call), then logs
  a held call with "Mark all as joined" and changes the one exception;
- teacher1 raises a concern from a group lesson with the type-ahead pupil picker (nobody chosen
  for them), and the picker still works as tick boxes without JavaScript;
- the DSL acknowledges from the top of the concern page, is sent to the error summary when the
  action is empty, and records the action with the time it happened;
- the office imports a CSV file with several bad rows and sees all of them at once;
- the head declines a one-to-one without a reason: the decision is kept and the error summary focused.

Every page is audited with axe (tests/browser/conftest.py) and must not be wider than 360 px.
Time is moved with time_machine, never waited for.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from calls.choices import CallKind, CallStatus, Platform
from calls.models import Call
from consent.choices import Scope
from consent.selectors import consenting_pupil_ids
from portal.demo import DEMO_PASSWORD, demo_email, seed_demo_school
from safeguarding import services as concern_services
from safeguarding.choices import ConcernKind
from safeguarding.models import Concern, ConcernEntry
from school.models import Pupil, SchoolClass
from sessionlogs.choices import Attendance
from sessionlogs.models import SessionLog
from toolkit.dates import when

pytestmark = pytest.mark.django_db(transaction=True)

LONDON = ZoneInfo("Europe/London")
WEDNESDAY_8AM = dt.datetime(2026, 12, 2, 8, 0, tzinfo=LONDON)
PHONE_WIDTH = 360


# The innermost elements reaching past the screen's right edge, to say what to fix.
WIDE_ELEMENTS = """(limit) => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > limit && ![...e.children].some(c => c.getBoundingClientRect().right > limit))
  .slice(0, 5)
  .map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className + " " + (e.textContent || "").trim().slice(0, 40))"""


def narrow(portal):
    portal.page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})


def fits_the_phone(portal):
    width = portal.page.evaluate("document.documentElement.scrollWidth")
    wide = portal.page.evaluate(WIDE_ELEMENTS, PHONE_WIDTH) if width > PHONE_WIDTH else []
    assert width <= PHONE_WIDTH, f"{portal.page.url} is {width}px wide on a {PHONE_WIDTH}px screen: {wide}"


def year3_pupils_with_consent():
    year3 = SchoolClass.objects.get(name="Year 3")
    ids = consenting_pupil_ids(year3.pupils.on_roll().values_list("pk", flat=True), Scope.VIDEO_CALLS)
    return list(Pupil.objects.filter(pk__in=ids).order_by("last_name", "first_name"))


def booked(page, title):
    call = Call.objects.filter(title=title).first()
    assert call, page.locator("[data-error-summary]").all_inner_texts()
    return call


def fill_common(page, *, title, date, start):
    page.get_by_label("Title").fill(title)
    page.get_by_label("What pupils will do online").fill("Reading aloud together.")
    page.get_by_label("Platform or site").select_option(Platform.MICROSOFT_TEAMS)
    page.get_by_label("Date").fill(date)
    page.get_by_label("Start time (UK time)").fill(start)
    page.get_by_label("Second member of staff").select_option(label=str(User.objects.get(email=demo_email("teacher3"))))


def test_teacher_books_both_kinds_of_call_and_logs_a_held_one_with_mark_all(portal):
    with time_machine.travel(WEDNESDAY_8AM, tick=True):
        seed_demo_school(WEDNESDAY_8AM)
        pupils = year3_pupils_with_consent()
        narrow(portal)
        portal.sign_in(demo_email("teacher1"), DEMO_PASSWORD)
        page = portal.page
        portal.goto("/calls/book/")
        fits_the_phone(portal)
        assert "Book at least" in page.get_by_test_id("booking-rules").inner_text()

        # A group lesson: the whole class can be invited.
        page.get_by_role("radio", name="Group lesson").check()
        assert page.get_by_label("Invite a whole class").is_visible()
        fill_common(page, title="Year 3 reading circle", date="2026-12-03", start="14:00")
        page.get_by_label("Invite a whole class").select_option(label="Year 3")
        portal.click(name="Book call")
        group = booked(page, "Year 3 reading circle")
        assert group.kind == CallKind.GROUP
        assert group.invitations.filter(removed_at__isnull=True).count() == len(pupils)

        # A one-to-one: the class and the single-staff reason go away; one pupil is picked.
        portal.goto("/calls/book/")
        page.get_by_role("radio", name="One-to-one").check()
        assert page.get_by_label("Invite a whole class").is_hidden()
        assert page.get_by_label("Why only one member of staff (group lessons only)").is_hidden()
        fits_the_phone(portal)
        fill_common(page, title="Reading one-to-one", date="2026-12-03", start="13:00")
        page.get_by_label(f"{pupils[0].full_name} (Year 3)").first.check()
        portal.click(name="Book call")
        one = booked(page, "Reading one-to-one")
        assert (one.kind, one.status) == (CallKind.ONE_TO_ONE, CallStatus.AWAITING_PARENT)
        assert [i.pupil_id for i in one.invitations.all()] == [pupils[0].pk]
        portal.sign_out()

    # The group lesson has been held: teacher1 writes its log, marking everyone as joined at once.
    with time_machine.travel(dt.datetime(2026, 12, 3, 14, 40, tzinfo=LONDON), tick=True):
        portal.sign_in(demo_email("teacher1"), DEMO_PASSWORD)
        page = portal.page
        portal.goto(reverse("sessionlogs:call_log", args=[group.pk]))
        fits_the_phone(portal)
        attendance = page.locator("#attendance-fields select")
        page.get_by_role("button", name="Mark all as joined").click()
        assert set(attendance.evaluate_all("selects => selects.map(s => s.value)")) == {Attendance.ADMITTED}
        assert "marked as joined" in page.locator("#attendance-fields-status").inner_text()
        exception = attendance.last
        absent_id = int(exception.get_attribute("name").removeprefix("pupil_"))
        exception.select_option(Attendance.ABSENT)
        invited = attendance.count()
        page.get_by_label("Actual start (UK time)").fill("14:01")
        page.get_by_label("Actual end (UK time)").fill("14:29")
        portal.click(name="Save the session log")

        outcomes = dict(SessionLog.objects.get(call=group).pupils.values_list("pupil_id", "outcome"))
        assert outcomes.pop(absent_id) == Attendance.ABSENT
        assert set(outcomes.values()) == {Attendance.ADMITTED}
        assert len(outcomes) == invited - 1 >= 1


def test_teacher_picks_the_pupil_with_the_type_ahead_from_a_group_lesson(portal, chromium, live_server, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())
    teacher1 = User.objects.get(email=demo_email("teacher1"))
    pupils = list(SchoolClass.objects.get(name="Year 3").pupils.on_roll().order_by("last_name")[:2])
    starts_at = timezone.now() - dt.timedelta(hours=2)
    call = Call.objects.create(
        kind=CallKind.GROUP,
        title="Year 3 phonics",
        activity="Phonics.",
        platform=Platform.MICROSOFT_TEAMS,
        starts_at=starts_at,
        duration_minutes=30,
        ends_at=starts_at + dt.timedelta(minutes=30),
        host=teacher1,
        second_staff=User.objects.get(email=demo_email("teacher3")),
        status=CallStatus.SCHEDULED,
        booked_by=teacher1,
        booked_at=starts_at - dt.timedelta(days=1),
    )
    for pupil in pupils:
        call.invitations.create(pupil=pupil, invited_at=call.booked_at)
    narrow(portal)
    portal.sign_in(demo_email("teacher1"), DEMO_PASSWORD)
    page = portal.page
    portal.goto(f"/calls/{call.pk}/")
    portal.click(role="link", name="Raise a concern")
    fits_the_phone(portal)

    # Nobody is chosen for the teacher; "when it happened" is the call's time.
    assert page.locator("input[name=pupils]:checked").count() == 0
    assert "Nobody chosen yet." in page.inner_text("body")
    assert page.get_by_label("When it happened").input_value() == timezone.localtime(starts_at).strftime("%Y-%m-%dT%H:%M")
    search = page.get_by_role("combobox", name="Search for a pupil by name")
    wanted = pupils[1]
    search.fill(wanted.last_name[:4])
    page.get_by_role("option", name=wanted.full_name, exact=False).first.wait_for()
    portal.audit()  # the open list of suggestions, too
    search.press("Enter") if page.get_by_role("option").first.inner_text().startswith(wanted.full_name) else page.get_by_role(
        "option", name=wanted.full_name, exact=False
    ).first.click()
    chip = page.get_by_role("button", name=f"{wanted.full_name}", exact=False)
    assert chip.is_visible()
    chip.click()  # removed again
    assert page.locator("input[name=pupils]:checked").count() == 0
    search.fill(wanted.first_name)
    page.get_by_role("option", name=wanted.full_name, exact=False).first.click()

    page.get_by_role("radio", name="Something seen or heard").check()
    page.get_by_label("What happened").fill("A raised voice off camera during the call")
    page.get_by_label("What you did straight away").fill("Told the DSL in person")
    portal.click(name="Send to the DSL")
    concern = Concern.objects.get(source_call_id=call.pk)
    assert list(concern.pupils.values_list("pk", flat=True)) == [wanted.pk]
    assert timezone.localtime(concern.happened_at).strftime("%H:%M") == timezone.localtime(starts_at).strftime("%H:%M")
    portal.sign_out()

    # Without JavaScript the same page is a list of tick boxes (no Ctrl-click).
    context = chromium.new_context(java_script_enabled=False, viewport={"width": PHONE_WIDTH, "height": 800})
    try:
        plain = context.new_page()
        plain.goto(f"{live_server.url}/accounts/login/")
        plain.get_by_label("Email").fill(demo_email("teacher1"))
        plain.get_by_label("Password").fill(DEMO_PASSWORD)
        with plain.expect_navigation():
            plain.get_by_role("button", name="Sign In").click()
        plain.goto(f"{live_server.url}/safeguarding/raise/")
        box = plain.get_by_label(pupils[0].full_name, exact=False).first
        assert box.is_visible()
        box.check()
        assert plain.locator("input[name=pupils]:checked").count() == 1
    finally:
        context.close()


def test_dsl_acknowledges_at_the_top_and_records_an_action_with_its_time(portal, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())
    pupil = SchoolClass.objects.get(name="Year 4").pupils.on_roll().first()
    now = timezone.now()
    concern = concern_services.raise_concern(
        reported_by=User.objects.get(email=demo_email("teacher1")),
        pupils=[pupil],
        now=now,
        kind=ConcernKind.SEEN_OR_HEARD,
        happened_at=now - dt.timedelta(hours=1),
        what_happened="Pupil said there was no food at home",
        childs_words="",
        action_taken="Told the DSL",
    )
    narrow(portal)
    portal.sign_in(demo_email("dsl"), DEMO_PASSWORD)
    page = portal.page
    portal.goto(f"/safeguarding/concerns/{concern.pk}/")
    fits_the_phone(portal)
    acknowledge = page.get_by_test_id("acknowledge").bounding_box()
    report = page.get_by_role("heading", name="The report").bounding_box()
    assert acknowledge["y"] < report["y"]
    portal.click(name="Acknowledge")

    # Nothing chosen, nothing written: the page comes back with the error summary focused.
    assert page.get_by_label("Action taken").input_value() == ""
    portal.click(name="Record action")
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    summary = page.locator("[data-error-summary]").inner_text()
    assert "Choose the action taken" in summary
    assert "Write the details of the action" in summary
    fits_the_phone(portal)
    assert not ConcernEntry.objects.filter(concern=concern, kind="action").exists()

    happened = timezone.localtime(now - dt.timedelta(hours=3)).replace(second=0, microsecond=0)
    page.get_by_label("Action taken").select_option("phone_call")
    page.get_by_label("Details of the action").fill("Phoned dad; food bank referral agreed")
    page.get_by_label("When it happened (optional)").fill(happened.strftime("%Y-%m-%dT%H:%M"))
    portal.click(name="Record action")
    entry = ConcernEntry.objects.get(concern=concern, kind="action")
    assert (entry.action, entry.recorded_by.email) == ("phone_call", demo_email("dsl"))
    assert entry.happened_at == happened
    assert f"happened {when(happened)}" in page.get_by_test_id("chronology").inner_text()  # toolkit.dates


BAD_PUPILS_CSV = (
    "mis_id,first_name,last_name,date_of_birth,class\n"
    "NEW-1,Ada,Lovelace,10/12/2018,Year 3\n"
    "NEW-2,,Babbage,26/12/2018,Year 3\n"
    "NEW-3,Grace,Hopper,31/02/2018,Year 3\n"
    "NEW-4,Alan,Turing,not a date,Year 3\n"
)


def test_office_imports_a_file_with_several_bad_rows_and_sees_them_all_at_once(portal, settings, tmp_path):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())
    upload = tmp_path / "pupils.csv"
    upload.write_text(BAD_PUPILS_CSV)
    narrow(portal)
    portal.sign_in(demo_email("office"), DEMO_PASSWORD)
    page = portal.page
    portal.goto("/school/import/")
    fits_the_phone(portal)
    page.get_by_label("Pupils", exact=True).check()
    page.get_by_label("CSV file exported from the MIS").set_input_files(str(upload))
    portal.click(name="Preview the import")

    summary = page.locator("[data-error-summary]")
    text = summary.inner_text()
    for row in (3, 4, 5):
        assert f"Row {row}" in text
    assert "Row 2" not in text
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    fits_the_phone(portal)
    assert not Pupil.objects.filter(mis_id__startswith="NEW-").exists()


def test_head_declines_without_a_reason_and_keeps_the_decision_then_gives_one(portal, settings):
    settings.PORTAL_ENFORCE_STAFF_MFA = False
    seed_demo_school(timezone.now())
    call = Call.objects.get(status=CallStatus.AWAITING_APPROVAL)  # the demo's one-to-one parent1 agreed to
    narrow(portal)
    portal.sign_in(demo_email("head"), DEMO_PASSWORD)
    page = portal.page
    portal.goto("/calls/approvals/")
    fits_the_phone(portal)
    page.get_by_role("radio", name="Decline").check()
    portal.click(name="Record decision")

    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert page.get_by_role("radio", name="Decline").is_checked()  # nothing lost
    fits_the_phone(portal)
    page.get_by_label("Reason").fill("Please move it after school hours")
    portal.click(name="Record decision")
    call.refresh_from_db()
    assert call.status == CallStatus.DRAFT
    assert call.approvals.get().reason == "Please move it after school hours"
