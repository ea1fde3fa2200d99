"""Demo calls: teacher1's group lessons for Year 3 and Year 4 over the coming school days, and a
one-to-one with parent1's Year 3 child that parent1 has agreed to and the head has yet to approve.

Booked through the services, so every rule holds for demo data too. Idempotent: a demo call
already booked (same title, booked by teacher1) is left alone.
"""

import datetime as dt
import logging

from accounts.models import User
from school.demo import demo_email
from school.models import Guardian, Pupil, SchoolClass, school_calendar

from . import services
from .choices import CallKind, CallStatus, Platform
from .models import Call
from .policy import LONDON, school_hours_problem
from .services import booking, join_details, one_to_ones

log = logging.getLogger(__name__)

GROUP_CALLS = [
    # (title, class, day offset among coming school days, local start, second staff or None, activity)
    ("Year 3 phonics check-in", "Year 3", 0, dt.time(10, 0), "teacher3", "Read aloud together and practise this week's sounds."),
    ("Year 4 maths: fractions", "Year 4", 1, dt.time(11, 0), None, "Fraction games on the shared whiteboard, then questions."),
    ("Year 3 story time", "Year 3", 2, dt.time(13, 30), "ddsl", "Listen to a story and talk about the characters."),
]
# Calls already held, so a newcomer finds logs to read (and one to write) and an overview with history.
PAST_CALLS = [
    ("Year 3 phonics: last fortnight's sounds", "Year 3", 0, dt.time(10, 0), "teacher3", "Practise the sounds of the fortnight."),
    ("Year 4 maths: times tables", "Year 4", 1, dt.time(11, 0), "ddsl", "Times-table games, then questions."),
    ("Year 3 show and tell", "Year 3", 2, dt.time(13, 30), "teacher3", "Each pupil shows something from home."),
]
PAST_DAYS_BACK = 14
SINGLE_STAFF_REASON = "Teacher3 is teaching in school at this time; the lesson is short and whole-class."
ONE_TO_ONE_TITLE = "Reading support one-to-one"


def _school_days(now, count):
    """The next `count` school days after today (term time, open, no closure), as dates."""
    calendar, day, found = school_calendar(), now.astimezone(LONDON).date(), []
    while len(found) < count and len(found) < 60:
        day += dt.timedelta(days=1)
        probe = dt.datetime.combine(day, dt.time(12, 0), tzinfo=LONDON)
        if not school_hours_problem(starts_at=probe, ends_at=probe + dt.timedelta(minutes=1), calendar=calendar):
            found.append(day)
    return found


def seed(now) -> None:
    teacher1 = User.objects.filter(email=demo_email("teacher1")).first()
    if teacher1 is None:
        return
    days = _school_days(now, 4)
    if len(days) < 4:
        return  # no term dates ahead: nothing sensible to book
    for title, class_name, offset, start, second, activity in GROUP_CALLS:
        _book_group(teacher1, now, title, class_name, dt.datetime.combine(days[offset], start, tzinfo=LONDON), second, activity)
    _book_one_to_one(teacher1, now, dt.datetime.combine(days[3], dt.time(9, 30), tzinfo=LONDON))
    _past_calls(teacher1, now)


def _past_calls(teacher1, now):
    """Booked a fortnight ago (as the rules stood then) for school days that have since passed."""
    booked_at = now - dt.timedelta(days=PAST_DAYS_BACK)
    days = [d for d in _school_days(booked_at, 3) if d < now.astimezone(LONDON).date()]
    for title, class_name, offset, start, second, activity in PAST_CALLS:
        if offset < len(days):
            starts_at = dt.datetime.combine(days[offset], start, tzinfo=LONDON)
            _book_group(teacher1, booked_at, title, class_name, starts_at, second, activity)
            # Their join emails went out as the sweep sends them, before each call (COM-4).
            join_details.send_due_join_details(now=starts_at - dt.timedelta(minutes=30))


def _book_group(teacher1, now, title, class_name, starts_at, second, activity):
    school_class = SchoolClass.objects.filter(name=class_name).first()
    if school_class is None or Call.objects.filter(booked_by=teacher1, title=title).exists():
        return
    try:
        booking.book_call(
            booked_by=teacher1,
            now=now,
            kind=CallKind.GROUP,
            title=title,
            activity=activity,
            platform=Platform.MICROSOFT_TEAMS,
            starts_at=starts_at,
            duration_minutes=30,
            host=teacher1,
            second_staff=User.objects.filter(email=demo_email(second)).first() if second else None,
            single_staff_reason="" if second else SINGLE_STAFF_REASON,
            school_class=school_class,
            pupil_ids=school_class.pupils.on_roll().values_list("pk", flat=True),
            meeting_url="https://teams.example.test/l/meetup-join/demo",
            passcode="demo-1234",
        )
    except services.CallError as refused:
        log.warning("Demo call %r not booked: %s", title, refused)


def _book_one_to_one(teacher1, now, starts_at):
    if Call.objects.filter(booked_by=teacher1, title=ONE_TO_ONE_TITLE).exists():
        return
    pupil = Pupil.objects.filter(mis_id="DEMO-P028").first()
    parent1 = User.objects.filter(email=demo_email("parent1")).first()
    dsl = User.objects.filter(email=demo_email("dsl")).first()
    if not (pupil and parent1 and dsl):
        return
    try:
        call = booking.book_call(
            booked_by=teacher1,
            now=now,
            kind=CallKind.ONE_TO_ONE,
            title=ONE_TO_ONE_TITLE,
            activity="Read together from the class book and talk about how reading at home is going.",
            platform=Platform.MICROSOFT_TEAMS,
            starts_at=starts_at,
            duration_minutes=20,
            host=teacher1,
            second_staff=dsl,
            pupil_ids=[pupil.pk],
            meeting_url="https://teams.example.test/l/meetup-join/demo-121",
        )
        if call.status == CallStatus.AWAITING_PARENT:
            one_to_ones.record_parent_agreement(
                call=call, guardian=Guardian.objects.get(user=parent1), decided_by=parent1, now=now, agree=True
            )
    except services.CallError as refused:
        log.warning("Demo one-to-one not booked: %s", refused)
