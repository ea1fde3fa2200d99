"""Governance and oversight fixtures: policy versions and records made directly, so these tests do
not depend on other apps' services (only on their models)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from calls.models import Call, CallInvitation, JoinAttempt, JoinLink
from governance.models import PolicyVersion
from sessionlogs.models import SessionLog, SessionLogPupil

LONDON = ZoneInfo("Europe/London")


def london(*args):
    return dt.datetime(*args, tzinfo=LONDON)


MODELS = {m._meta.label: m for m in (Call, CallInvitation, JoinAttempt, JoinLink, SessionLog, SessionLogPupil)}


def model(label):
    """The model the tests name as `app.Model` (records made directly, without that app's services)."""
    return MODELS[label]


@pytest.fixture
def seed_policy(db):
    return PolicyVersion.objects.get(version="2020-09")


@pytest.fixture
def make_call(teacher, dsl):
    """make_call(starts_at, **changes) -> a calls.Call row written directly."""

    def _make(starts_at, **changes):
        Call = model("calls.Call")
        facts = dict(
            kind="group",
            title="Year 3 maths",
            activity="Counting games.",
            starts_at=starts_at,
            duration_minutes=30,
            ends_at=starts_at + dt.timedelta(minutes=30),
            host=teacher,
            second_staff=dsl,
            status="scheduled",
            booked_by=teacher,
            booked_at=starts_at - dt.timedelta(days=2),
        )
        return Call.objects.create(**{**facts, **changes})

    return _make
