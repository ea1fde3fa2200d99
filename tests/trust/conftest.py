"""Trust fixtures: one "world" of family A's records, built once per module through the apps'
own services, and signed-in clients for the fixed cast.

The world lives inside a transaction opened for the whole module and rolled back at its end
(as tests/perf/conftest.py does), so the authorization matrix and the hostile-input tests pay
for it once. A test that writes wraps each request in `rolled_back()`, so the world stays the
same for every role and every example.
"""

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils import timezone

from accounts.choices import Role
from school.models import SyncChange, SyncRun
from tests.factories import PupilFactory, SchoolClassFactory, UserFactory, parent_of, staff_user

LONDON = ZoneInfo("Europe/London")
# The calls app's test week: booked on Monday 9 November 2026 for Tuesday 10 November (GMT).
BOOKED_AT = dt.datetime(2026, 11, 9, 8, 0, tzinfo=LONDON)
CALL_STARTS = dt.datetime(2026, 11, 10, 10, 0, tzinfo=LONDON)
# Text only a concern holds: it must never appear in a page shown to anyone outside the DSL team.
CONCERN_MARKER = "Zebra-crossing-disclosure-7731"
# Text only a DSL's safeguarding follow-up (a welfare contact) holds: the same rule (issue 16).
FOLLOW_UP_MARKER = "Kestrel-home-visit-follow-up-4417"
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password

# The nine people of the matrix, in the order their results are reported.
ROLES = ("anonymous", "parent_a", "parent_b", "teacher", "office", "head", "dsl", "ddsl", "superuser")


class Rollback(Exception):
    """Raised inside rolled_back() to undo whatever the block wrote."""


@contextlib.contextmanager
def rolled_back():
    """Run the block in a savepoint that is always rolled back (on-commit callbacks never run)."""
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


@dataclass
class World:
    """Family A's records and everything around them. Attribute names are used by authz_table.KWARGS."""

    people: dict
    child_a: object
    child_b: object
    guardian_a: object
    class_a: object
    call: object
    join_token: str
    feed_token: str
    concern: object
    concern_entry: object
    session_log: object
    outbox_message: object
    failed_message: object
    staff_message: object
    question: object
    policy_draft: object
    published_policy: object
    teacher_role: object
    term: object
    closure: object
    absence: object
    parents_document: object
    pending_call: object
    unlogged_call: object
    follow_up: object = None
    held_sync_run: object = None  # a directory sync run waiting for the office (school:sync_confirm)
    sync_change: object = None  # a sync change waiting for review

    def __getattr__(self, name):
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)


def _cast():
    class_a = SchoolClassFactory(name="Year 3", year_group=3)
    class_b = SchoolClassFactory(name="Year 5", year_group=5)
    people = {
        "head": staff_user(Role.HEAD, email="head@example.test", first_name="Helen", last_name="Head"),
        "dsl": staff_user(Role.DSL, Role.TEACHER, email="dsl@example.test", first_name="Sarah", last_name="Lead"),
        "ddsl": staff_user(Role.DEPUTY_DSL, Role.TEACHER, email="ddsl@example.test", first_name="Dan", last_name="Lead"),
        "teacher": staff_user(Role.TEACHER, email="teacher@example.test", first_name="Tara", last_name="Teacher"),
        "office": staff_user(Role.OFFICE, email="office@example.test", first_name="Olive", last_name="Office"),
        "superuser": UserFactory(email="root@example.test", is_staff=True, is_superuser=True),
    }
    class_a.teachers.add(people["teacher"])
    child_a = PupilFactory(
        first_name="Amelia", last_name="Adams", school_class=class_a, personal_email="amelia@pupils.example.test"
    )
    child_b = PupilFactory(first_name="Ben", last_name="Brown", school_class=class_b)
    guardian_a = parent_of(child_a, email="parent-a@example.test")
    guardian_b = parent_of(child_b, email="parent-b@example.test")
    people |= {"parent_a": guardian_a.user, "parent_b": guardian_b.user}
    return people, class_a, child_a, child_b, guardian_a, guardian_b


def _school_week():
    from school.models import Closure, SchoolDay, TermDate

    for weekday in range(5):
        SchoolDay.objects.create(weekday=weekday, opens_at=dt.time(8, 45), closes_at=dt.time(15, 30))
    term = TermDate.objects.create(name="Autumn 2026", starts_on=dt.date(2026, 9, 2), ends_on=dt.date(2026, 12, 18))
    TermDate.objects.create(name="Spring 2027", starts_on=dt.date(2027, 1, 5), ends_on=dt.date(2027, 3, 26))
    closure = Closure.objects.create(starts_on=dt.date(2026, 11, 27), ends_on=dt.date(2026, 11, 27), reason="INSET day")
    return term, closure


def _one_to_one(people, child_a, guardian_a, child_b, guardian_b):
    """A one-to-one with child_a hosted by the teacher, agreed, approved and its join details sent."""
    from calls.choices import CallKind, Platform
    from calls.services import booking, join_details, one_to_ones
    from consent.choices import Scope
    from consent.services import give_consent
    from notifications.models import OutboxMessage

    for pupil, guardian in ((child_a, guardian_a), (child_b, guardian_b)):
        give_consent(
            pupil=pupil,
            guardian=guardian,
            scope=Scope.VIDEO_CALLS,
            decided_by=guardian.user,
            now=BOOKED_AT - dt.timedelta(days=1),
        )
    teacher = people["teacher"]
    call = booking.book_call(
        booked_by=teacher, now=BOOKED_AT, kind=CallKind.ONE_TO_ONE, title="Reading one-to-one", activity="Reading together.",
        platform=Platform.MICROSOFT_TEAMS, starts_at=CALL_STARTS, duration_minutes=30, host=teacher,
        second_staff=people["dsl"], single_staff_reason="", record=False, pupil_ids=[child_a.pk],
        meeting_url="https://teams.example.test/meet/abc", passcode="s3cret-pass",
    )  # fmt: skip
    one_to_ones.record_parent_agreement(call=call, guardian=guardian_a, decided_by=guardian_a.user, now=BOOKED_AT, agree=True)
    one_to_ones.approve_call(call=call, approver=people["head"], now=BOOKED_AT)
    call.refresh_from_db()
    join_details.send_join_details(call=call, now=CALL_STARTS - dt.timedelta(hours=2))
    message = OutboxMessage.objects.filter(recipient_email=guardian_a.email, body_text__contains="/calls/join/").first()
    token = re.search(r"/calls/join/([A-Za-z0-9_-]+)/", message.body_text).group(1)
    return call, token


def _more_calls(people, child_a, guardian_a):
    """A one-to-one the parent agreed to, waiting for the head; and a group call held but not yet logged."""
    from calls.choices import CallKind, Platform
    from calls.services import booking, one_to_ones
    from tests.sessionlogs.factories import make_call

    teacher = people["teacher"]
    pending = booking.book_call(
        booked_by=teacher, now=BOOKED_AT, kind=CallKind.ONE_TO_ONE, title="Spelling one-to-one", activity="Spelling.",
        platform=Platform.MICROSOFT_TEAMS, starts_at=CALL_STARTS + dt.timedelta(hours=1), duration_minutes=30, host=teacher,
        second_staff=people["dsl"], single_staff_reason="", record=False, pupil_ids=[child_a.pk], meeting_url="", passcode="",
    )  # fmt: skip
    one_to_ones.record_parent_agreement(call=pending, guardian=guardian_a, decided_by=guardian_a.user, now=BOOKED_AT, agree=True)
    pending.refresh_from_db()
    afternoon = CALL_STARTS + dt.timedelta(hours=3)
    unlogged = make_call(host=teacher, second_staff=people["dsl"], pupils=[child_a], starts_at=afternoon)
    return pending, unlogged


def _session_log(call, people):
    from sessionlogs.choices import Attendance
    from sessionlogs.services import LogInput, write_session_log

    pupil_ids = list(call.invitations.values_list("pupil_id", flat=True))
    content = LogInput(
        started_at=call.starts_at,
        ended_at=call.ends_at,
        attendance={pk: Attendance.ADMITTED for pk in pupil_ids},
        second_staff_present=True,
        spoke_to_parent_first=True,
        parent_stayed=True,
    )
    written_at = call.ends_at + dt.timedelta(minutes=30)
    return write_session_log(call=call, written_by=people["teacher"], now=written_at, content=content)


def _concern(people, child_a, call, now):
    from safeguarding import services
    from safeguarding.choices import ConcernKind
    from safeguarding.models import DslAbsence

    concern = services.raise_concern(
        reported_by=people["teacher"], pupils=[child_a], kind=ConcernKind.DISCLOSURE, happened_at=now - dt.timedelta(minutes=10),
        what_happened=f"Heard shouting off camera. {CONCERN_MARKER}", childs_words=f"I hide under the bed {CONCERN_MARKER}",
        action_taken="Reassured her and passed it on.", now=now - dt.timedelta(minutes=5), source_call_id=call.pk,
    )  # fmt: skip
    entry = services.add_note(concern=concern, by=people["dsl"], text=f"Spoke to the class teacher. {CONCERN_MARKER}", now=now)
    absence = DslAbsence.objects.create(
        user=people["dsl"], starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=2), reason="Course",
        recorded_by=people["dsl"], recorded_at=now,
    )  # fmt: skip
    return concern, entry, absence


def _follow_up(people, child_a, now):
    """A home visit the DSL logged as a safeguarding follow-up, an hour ago (may be out of hours)."""
    from sessionlogs.choices import ContactMethod
    from sessionlogs.services import record_welfare_contact

    return record_welfare_contact(
        pupil=child_a, recorded_by=people["dsl"], now=now, method=ContactMethod.HOME_VISIT,
        contacted_at=now - dt.timedelta(hours=1), duration_minutes=20, staff=people["dsl"],
        outcome=f"Visited. {FOLLOW_UP_MARKER}", safeguarding_follow_up=True,
    )  # fmt: skip


def _messages(people, child_a, guardian_a, now):
    from notifications.models import OutboxMessage, OutboxState
    from notifications.services import notify, send_staff_message

    staff_message = send_staff_message(
        author=people["teacher"], pupil=child_a, guardian=guardian_a, subject="Reading at home", body="Lovely reading today.",
        now=now,
    )  # fmt: skip
    failed = notify(to=guardian_a.email, kind="staff-message", dedupe_key="trust:failed",
                    context={"message": staff_message, "author": people["teacher"], "pupil": child_a, "guardian": guardian_a},
                    user=guardian_a.user)  # fmt: skip
    OutboxMessage.objects.filter(pk=failed.pk).update(state=OutboxState.FAILED, last_error="550 mailbox unavailable")
    failed.refresh_from_db()
    return staff_message.outbox or OutboxMessage.objects.filter(recipient_user=guardian_a.user).first(), failed, staff_message


def _governance(people, now):
    from governance.models import PolicyVersion
    from governance.services import draft_policy_version

    published = PolicyVersion.objects.published().order_by("-published_at").first()
    draft = draft_policy_version(by=people["head"], today=timezone.localdate(now), version="2027-draft",
                                 title="Video Conferencing Policy", text="Draft text.")  # fmt: skip
    return draft, published


def build_world(now) -> World:
    """Every record the matrix and the hostile-input tests need, through each app's services."""
    from accounts.models import StaffRole
    from calls.services.calendar_feeds import issue_calendar_feed
    from consent.choices import Audience
    from consent.models import AcceptableUseDocument
    from consent.services import ask_question

    people, class_a, child_a, child_b, guardian_a, guardian_b = _cast()
    term, closure = _school_week()
    call, join_token = _one_to_one(people, child_a, guardian_a, child_b, guardian_b)
    pending_call, unlogged_call = _more_calls(people, child_a, guardian_a)
    held_run = SyncRun.objects.create(started_at=now, status=SyncRun.Status.HELD, held_removals=[{"mis_id": child_a.mis_id}])
    sync_change = SyncChange.objects.create(
        run=held_run, kind=SyncChange.Kind.RESPONSIBILITY_REMOVED, summary="PR removed", needs_review=True
    )
    session_log = _session_log(call, people)
    concern, entry, absence = _concern(people, child_a, call, now)
    outbox_message, failed, staff_message = _messages(people, child_a, guardian_a, now)
    draft, published = _governance(people, now)
    return World(
        people=people, child_a=child_a, child_b=child_b, guardian_a=guardian_a, class_a=class_a, call=call,
        join_token=join_token, feed_token=issue_calendar_feed(user=people["parent_a"], now=now), concern=concern,
        concern_entry=entry, session_log=session_log, outbox_message=outbox_message, failed_message=failed,
        staff_message=staff_message,
        question=ask_question(guardian=guardian_a, asked_by=people["parent_a"], subject="Cameras", text="Must she?", now=now),
        policy_draft=draft, published_policy=published,
        teacher_role=StaffRole.objects.get(user=people["teacher"], role=Role.TEACHER), term=term, closure=closure,
        absence=absence, parents_document=AcceptableUseDocument.objects.current(Audience.PARENTS),
        pending_call=pending_call, unlogged_call=unlogged_call, follow_up=_follow_up(people, child_a, now),
        held_sync_run=held_run, sync_change=sync_change,
    )  # fmt: skip


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, built once per module inside a transaction rolled back at the module's end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            cache.clear()
            yield build_world(timezone.now())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            cache.clear()


def signed_in(user) -> Client:
    """A client signed in as `user`; tests/conftest.py makes force_login a password sign-in just
    now, as allauth records it (re-authentication windows)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def client_for(world, role) -> Client:
    return signed_in(None if role == "anonymous" else world.people[role])
