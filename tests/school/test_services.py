"""Directory services: settings and calendar changes are audited with who made them (GOV-3)."""

import datetime as dt

import pytest
from auditlog.models import LogEntry

from school import services
from school.models import SchoolDay, TermDate, school_calendar

pytestmark = pytest.mark.django_db
NINE, THREE = dt.time(9, 0), dt.time(15, 0)


@pytest.mark.policy("GOV-3")
def test_school_hours_changes_are_audited_and_unchanged_days_write_nothing(office, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.set_school_hours(hours={0: (NINE, THREE), 1: (NINE, THREE), 6: None}, changed_by=office)
    entries = LogEntry.objects.get_for_model(SchoolDay).count()

    services.set_school_hours(hours={0: (NINE, THREE), 1: (NINE, THREE), 6: None}, changed_by=office)

    assert LogEntry.objects.get_for_model(SchoolDay).count() == entries == 2
    assert {e.actor for e in LogEntry.objects.get_for_model(SchoolDay)} == {office}
    assert school_calendar()["hours"] == {0: (NINE, THREE), 1: (NINE, THREE)}


def test_a_day_taken_out_of_the_week_is_no_longer_a_school_day(office, django_capture_on_commit_callbacks):
    services.set_school_hours(hours={0: (NINE, THREE)}, changed_by=office)
    school_calendar()

    with django_capture_on_commit_callbacks(execute=True):
        services.set_school_hours(hours={0: None}, changed_by=office)

    assert not SchoolDay.objects.exists()
    assert school_calendar()["hours"] == {}


def test_a_day_closing_before_it_opens_is_refused(office):
    with pytest.raises(services.DirectoryError, match="close after it opens"):
        services.set_school_hours(hours={0: (THREE, NINE)}, changed_by=office)


@pytest.mark.policy("GOV-3")
def test_terms_and_closures_are_audited_and_reach_the_calendar(head, django_capture_on_commit_callbacks):
    term = services.add_term(name="Autumn", starts_on=dt.date(2026, 9, 2), ends_on=dt.date(2026, 12, 18), changed_by=head)
    services.add_closure(reason="INSET", starts_on=dt.date(2026, 11, 2), ends_on=dt.date(2026, 11, 2), changed_by=head)
    school_calendar()
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_term(term=term, changed_by=head)

    assert school_calendar() == {"hours": {}, "terms": [], "closures": [(dt.date(2026, 11, 2), dt.date(2026, 11, 2), "INSET")]}
    assert [e.actor for e in LogEntry.objects.get_for_model(TermDate)] == [head, head]


def test_a_term_ending_before_it_starts_is_refused(head):
    with pytest.raises(services.DirectoryError):
        services.add_term(name="Odd", starts_on=dt.date(2026, 9, 2), ends_on=dt.date(2026, 9, 1), changed_by=head)
