"""Session-log fixtures: a group call taught by `teacher` with dsl as second staff, a one-to-one,
and a helper that builds a complete LogInput."""

import datetime as dt

import pytest

from calls.choices import CallKind
from sessionlogs.choices import Attendance
from sessionlogs.services import LogInput
from tests.factories import PupilFactory

from .factories import TUESDAY_10AM, make_call


@pytest.fixture
def after_call():
    """An hour after the standard call ended."""
    return TUESDAY_10AM + dt.timedelta(minutes=90)


@pytest.fixture
def child_a2(class_a):
    return PupilFactory(first_name="Zac", last_name="Zimmer", school_class=class_a)


@pytest.fixture
def group_call(teacher, dsl, child_a, child_a2):
    return make_call(host=teacher, second_staff=dsl, pupils=[child_a, child_a2])


@pytest.fixture
def one_to_one(teacher, dsl, child_a):
    return make_call(host=teacher, second_staff=dsl, pupils=[child_a], kind=CallKind.ONE_TO_ONE, title="Reading one-to-one")


@pytest.fixture
def log_input():
    """log_input(call, **changes): a complete, valid log of `call` as booked, everyone admitted."""

    def _make(call, **changes):
        pupil_ids = list(call.invitations.values_list("pupil_id", flat=True))
        values = {
            "started_at": call.starts_at,
            "ended_at": call.ends_at,
            "attendance": {pk: Attendance.ADMITTED for pk in pupil_ids},
            "second_staff_present": True if call.second_staff_id else None,
        }
        if call.is_one_to_one:
            values |= {"spoke_to_parent_first": True, "parent_stayed": True}
        return LogInput(**(values | changes))

    return _make
