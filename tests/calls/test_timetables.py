"""COM-2: the weekly timetables, a mass mailing to every family with a call in the coming week."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls import timetables
from tests.calls.conftest import consent, london, outbox
from tests.factories import PupilFactory, parent_of
from toolkit.dates import day

pytestmark = pytest.mark.django_db

FRIDAY = london(2026, 11, 6, 16, 0)  # the timetables then cover Monday 9 to Friday 13 November


def _families(school_class, n):
    pupils = [PupilFactory(school_class=school_class) for _ in range(n)]
    for pupil in pupils:
        consent(pupil, parent_of(pupil))
    return pupils


@pytest.mark.policy("COM-2")
def test_timetables_take_the_same_queries_for_one_family_as_for_many(book, consented, child_a, class_a):
    book(pupil_ids=[child_a.pk])
    with CaptureQueriesContext(connection) as one_family:
        assert timetables.send_weekly_timetables(now=FRIDAY) == 1

    pupils = _families(class_a, 6)
    book(pupil_ids=[child_a.pk, *(p.pk for p in pupils)], starts_at=london(2026, 11, 17, 10, 0))
    book(pupil_ids=[p.pk for p in pupils[:3]], title="Year 3 art", starts_at=london(2026, 11, 18, 13, 0))
    with CaptureQueriesContext(connection) as seven_families:
        assert timetables.send_weekly_timetables(now=FRIDAY + dt.timedelta(days=7)) == 7

    assert len(seven_families) == len(one_family)
    assert len(outbox("timetable-weekly")) == 8


@pytest.mark.policy("COM-2")
def test_a_parent_of_two_children_gets_one_timetable_with_both_in_time_order(book, consented, child_a, guardian_a):
    sibling = PupilFactory(first_name="Zara", last_name="Adams", school_class=child_a.school_class)
    guardian_a.guardianships.create(pupil=sibling, parental_responsibility=True)
    consent(sibling, guardian_a)
    book(pupil_ids=[child_a.pk], title="Year 3 maths", starts_at=london(2026, 11, 12, 10, 0))
    book(pupil_ids=[sibling.pk], title="Zara's reading", starts_at=london(2026, 11, 10, 10, 0))
    book(pupil_ids=[child_a.pk, sibling.pk], title="Assembly", starts_at=london(2026, 11, 11, 9, 0))

    timetables.send_weekly_timetables(now=FRIDAY)

    [mail] = outbox("timetable-weekly", to=guardian_a.email)
    lines = [line for line in mail.body_text.splitlines() if line.startswith("- ")]
    rows = [line.split(": ", 1)[1].split(" on ")[0] for line in lines]
    assert rows[0] == "Zara's reading for Zara Adams"
    assert set(rows[1:3]) == {"Assembly for Amelia Adams", "Assembly for Zara Adams"}
    assert rows[3] == "Year 3 maths for Amelia Adams"
    assert f"{day(london(2026, 11, 10, 10, 0))}, 10:00 to 10:30 (UK time)" in lines[0]
    assert f"week starting {day(london(2026, 11, 9, 0, 0))}." in mail.body_text
    assert mail.message_id.encode() in bytes(mail.raw_message)
