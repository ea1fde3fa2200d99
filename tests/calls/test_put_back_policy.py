"""calls.policy.put_back_refusal (issue 19, CON-1, CON-3): a table, no database, no clock."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from calls import policy
from calls.choices import CallKind, CallStatus

NOW = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # the night the clocks go back
LATER = NOW + dt.timedelta(hours=2)
OK = dict(
    consent_in_force=True,
    kind=CallKind.GROUP,
    status=CallStatus.SCHEDULED,
    starts_at=LATER,
    now=NOW,
    call_class_id=3,
    pupil_class_id=3,
    on_roll=True,
)


@pytest.mark.policy("CON-3")
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, None),
        ({"call_class_id": None, "pupil_class_id": 9}, None),  # not a class call: any class
        ({"consent_in_force": False}, "Consent for video calls is not in force for this child."),
        ({"on_roll": False}, "This child is no longer on the school roll."),
        ({"kind": CallKind.ONE_TO_ONE}, "A one-to-one that was cancelled must be booked again by the teacher."),
        ({"status": CallStatus.CANCELLED}, "This call is no longer going ahead."),
        ({"status": CallStatus.HELD}, "This call is no longer going ahead."),
        ({"starts_at": NOW}, "This call has already started."),
        ({"starts_at": NOW.astimezone(ZoneInfo("Europe/London"))}, "This call has already started."),
        ({"pupil_class_id": 4}, "This call is for a class your child is no longer in."),
        ({"pupil_class_id": None}, "This call is for a class your child is no longer in."),
    ],
)
def test_put_back_refusal(change, expected):
    assert policy.put_back_refusal(**{**OK, **change}) == expected
