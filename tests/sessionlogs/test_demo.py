"""The demo seed: logs for past demo calls (all but the latest), a welfare contact and a preference; idempotent."""

import datetime as dt

import pytest

from calls.choices import CallStatus
from calls.models import Call
from portal.demo import seed_demo_school
from sessionlogs.models import ContactPreference, SessionLog, WelfareContact

pytestmark = pytest.mark.django_db

WEDNESDAY = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)


def test_demo_logs_past_calls_but_leaves_the_latest_to_chase(time_machine):
    time_machine.move_to(WEDNESDAY, tick=False)
    seed_demo_school(WEDNESDAY)
    later = WEDNESDAY + dt.timedelta(days=6)
    time_machine.move_to(later, tick=False)

    seed_demo_school(later)
    seed_demo_school(later)

    ended = Call.objects.filter(status__in=[CallStatus.SCHEDULED, CallStatus.HELD], ends_at__lte=later)
    assert SessionLog.objects.count() == ended.count() - 1 >= 1
    assert set(SessionLog.objects.values_list("call__status", flat=True)) == {CallStatus.HELD}
    assert WelfareContact.objects.count() == 1
    assert ContactPreference.objects.count() == 1
