"""Demo session logs and welfare contacts.

Every demo call that has ended gets a log written through the services (so the call is marked
held), except the most recent one, left for the host's "Logs to write" panel (LOG-4). teacher1
also has a welfare phone call with parent1's Year 3 child on the last school day, and a
contact preference for that child. Idempotent: run it as often as you like.
"""

import datetime as dt
import logging

from accounts.models import User
from calls.policy import LONDON, school_hours_problem
from school.demo import demo_email
from school.models import Guardian, Pupil, school_calendar

from . import selectors, services
from .choices import Attendance, ContactMethod, NumberUsed, PreferredMethod
from .models import ContactPreference, WelfareContact

log = logging.getLogger(__name__)

WELFARE_OUTCOME = "Spoke with Mum: reading every evening, happy to join the Year 3 calls. No concerns."


def seed(now) -> None:
    _logs_for_past_calls(now)
    teacher1 = User.objects.filter(email=demo_email("teacher1")).first()
    pupil = Pupil.objects.filter(mis_id="DEMO-P028").first()
    if teacher1 and pupil:
        _welfare_contact(teacher1, pupil, now)
        _preference(teacher1, pupil, now)


def _logs_for_past_calls(now) -> None:
    waiting = list(selectors.calls_missing_log(now).select_related("host", "second_staff").order_by("ends_at"))
    for call in waiting[:-1]:  # the latest stays unlogged, to show the chase
        pupils = selectors.invited_pupils(call)
        guess = selectors.prefill_for(call, pupils)
        content = services.LogInput(
            started_at=guess.started_at,
            ended_at=guess.ended_at,
            checklist_items=guess.checklist_items,
            attendance={
                pk: outcome if outcome != Attendance.ABSENT else Attendance.ADMITTED
                for pk, (outcome, _) in guess.attendance.items()
            },
            second_staff_present=True if call.second_staff_id else None,
            spoke_to_parent_first=True if call.is_one_to_one else None,
            parent_stayed=True if call.is_one_to_one else None,
        )
        try:
            services.write_session_log(call=call, written_by=call.host, now=now, content=content)
        except services.LogError as refused:
            log.warning("Demo log for call %s not written: %s", call.pk, refused)


def _last_school_day_at(now, at: dt.time) -> dt.datetime | None:
    calendar, day = school_calendar(), now.astimezone(LONDON).date()
    for _ in range(30):
        day -= dt.timedelta(days=1)
        moment = dt.datetime.combine(day, at, tzinfo=LONDON)
        if not school_hours_problem(starts_at=moment, ends_at=moment + dt.timedelta(minutes=10), calendar=calendar):
            return moment
    return None


def _welfare_contact(teacher1, pupil, now) -> None:
    contacted_at = _last_school_day_at(now, dt.time(11, 0))
    if contacted_at is None or WelfareContact.objects.filter(pupil=pupil, outcome=WELFARE_OUTCOME).exists():
        return
    guardian = Guardian.objects.filter(user__email=demo_email("parent1")).first()
    try:
        services.record_welfare_contact(
            pupil=pupil,
            recorded_by=teacher1,
            now=now,
            method=ContactMethod.PHONE,
            contacted_at=contacted_at,
            duration_minutes=8,
            guardian=guardian,
            number_used=NumberUsed.SCHOOL,
            outcome=WELFARE_OUTCOME,
        )
    except services.LogError as refused:
        log.warning("Demo welfare contact not written: %s", refused)


def _preference(teacher1, pupil, now) -> None:
    if not ContactPreference.objects.filter(pupil=pupil).exists():
        services.set_contact_preference(
            pupil=pupil, set_by=teacher1, now=now, method=PreferredMethod.PHONE, notes="Mum prefers a call after 2pm."
        )
