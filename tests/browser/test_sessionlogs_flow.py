"""Session logs end to end (LOG-1, LOG-4): teacher1 holds a scheduled call and fills its log from the
dashboard, and it leaves the "missing logs" list; a second call left without a log reaches the
head's dashboard once the deadline has passed. Time is moved with time_machine, never waited for
(the live server runs in a thread of this process, so its clock moves too).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import User
from calls.choices import CallKind, Platform
from calls.services import booking
from notifications.models import OutboxMessage
from portal.demo import DEMO_PASSWORD, demo_email, seed_demo_school
from school.models import SchoolClass
from sessionlogs.services import chase_missing_logs

pytestmark = pytest.mark.django_db(transaction=True)

LONDON = ZoneInfo("Europe/London")
WEDNESDAY_8AM = dt.datetime(2026, 12, 2, 8, 0, tzinfo=LONDON)
HELD = "Year 3 phonics: sounds of the week"
FORGOTTEN = "Year 3 spelling games"


def _book(title, starts_at):
    teacher1, teacher3 = (User.objects.get(email=demo_email(name)) for name in ("teacher1", "teacher3"))
    year3 = SchoolClass.objects.get(name="Year 3")
    return booking.book_call(
        booked_by=teacher1,
        now=WEDNESDAY_8AM,
        kind=CallKind.GROUP,
        title=title,
        activity="Phonics games together.",
        platform=Platform.MICROSOFT_TEAMS,
        starts_at=starts_at,
        duration_minutes=30,
        host=teacher1,
        second_staff=teacher3,
        school_class=year3,
        pupil_ids=year3.pupils.on_roll().values_list("pk", flat=True),
    )


def _panel(portal, test_id):
    return portal.page.get_by_test_id(test_id).inner_text()


@pytest.mark.policy("LOG-1")
@pytest.mark.policy("LOG-4")
def test_teacher_logs_a_call_and_the_head_sees_the_one_left_without_a_log(portal):
    with time_machine.travel(WEDNESDAY_8AM, tick=True):
        seed_demo_school(WEDNESDAY_8AM)
        _book(HELD, WEDNESDAY_8AM.replace(hour=10))
        _book(FORGOTTEN, WEDNESDAY_8AM.replace(hour=11))

    with time_machine.travel(WEDNESDAY_8AM.replace(hour=10, minute=40), tick=True):
        portal.sign_in(demo_email("teacher1"), DEMO_PASSWORD)
        assert HELD in _panel(portal, "logs-to-write-panel")
        portal.click(role="link", name=f"Write the log: {HELD}")
        portal.page.get_by_label("Actual start (UK time)").fill("10:02")
        portal.page.get_by_label("Actual end (UK time)").fill("10:28")
        portal.click(name="Save the session log")

        assert "26 minutes" in _panel(portal, "log-summary")
        portal.goto("/")
        assert HELD not in _panel(portal, "logs-to-write-panel")
        portal.sign_out()

    deadline_passed = WEDNESDAY_8AM.replace(hour=11, minute=30) + dt.timedelta(hours=24, minutes=5)
    with time_machine.travel(deadline_passed, tick=True):
        chase_missing_logs(now=deadline_passed)
        portal.sign_in(demo_email("head"), DEMO_PASSWORD)
        overdue = _panel(portal, "logs-overdue-panel")

        assert FORGOTTEN in overdue
        assert HELD not in overdue
        assert OutboxMessage.objects.filter(kind="log-overdue", recipient_email=demo_email("head")).exists()
