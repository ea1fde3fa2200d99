"""Trust, bounded input (issue 16, point 5): every number and date from a URL or form is parsed
with sensible bounds; a bad value gets a clear message or a 404, never a 500, and changes nothing.

First the issue's examples, each sent through HTTP as an attacker would; then the rule itself
(toolkit.pagination, toolkit.forms, the booking bounds, the settings' maxima) beyond the examples.
tests/trust/test_fuzz_urls.py sends hostile values to every parameter the portal reads.

Run: python -m pytest tests/trust/test_bounded_input.py -q
"""

import datetime as dt

import pytest
import time_machine
from django import forms
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls import policy as calls_policy
from toolkit.forms import LATEST_DATE, MAX_ID, IdField, SchoolDateField, SearchField
from toolkit.pagination import MAX_PAGE, requested_page

from .conftest import BOOKED_AT, LONDON, rolled_back, signed_in
from .test_hostile_input import _booking_base, _school_settings_base

TWENTY_DIGITS = "9" * 20

# --- the issue's examples, through the front door ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", TWENTY_DIGITS, "١٢", "-3"])
def test_a_hand_edited_class_filter_is_refused_with_a_message(world, value):
    response = signed_in(world.office).get(reverse("school:pupils"), {"class": value})

    assert response.status_code == 200
    assert b"data-search-errors" in response.content
    assert b"It was left out of the search." in response.content


@pytest.mark.django_db
def test_a_class_filter_still_filters(world):
    response = signed_in(world.office).get(reverse("school:pupils"), {"class": str(world.class_a.pk)})

    assert response.status_code == 200
    assert b"data-search-errors" not in response.content
    assert [p.pk for p in response.context["page"]] == [world.child_a.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["a\x00b", "x" * 101])
def test_a_search_with_a_nul_or_too_long_is_refused_with_a_message(world, value):
    for name in ("school:pupils", "school:guardians", "school:staff", "school:pupils_csv"):
        response = signed_in(world.office).get(reverse(name), {"q": value})

        assert response.status_code == 200, name
        if name != "school:pupils_csv":
            assert b"It was left out of the search." in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["calls:list", "calls:family", "notifications:inbox", "school:pupils"])
def test_a_twenty_digit_page_number_shows_the_last_page(world, url_name):
    role = "parent_a" if url_name in ("calls:family", "notifications:inbox") else "teacher"
    if url_name == "school:pupils":
        role = "office"

    response = signed_in(world.people[role]).get(reverse(url_name), {"page": "99999999999999999999"})

    assert response.status_code == 200
    page = response.context["page"]
    assert page.number == page.paginator.num_pages


@pytest.mark.django_db
@pytest.mark.policy("GOV-3")
@pytest.mark.parametrize(("field", "value"), [("date_to", "9999-12-31"), ("date_from", "0001-01-01"), ("date_to", "2026-02-30")])
def test_an_audit_range_beyond_the_school_window_is_refused_with_a_message(world, field, value):
    response = signed_in(world.office).get(reverse("governance:audit"), {field: value})

    assert response.status_code == 200
    assert response.context["page"] is None  # nothing searched
    assert response.context["form"].errors[field]


@pytest.mark.django_db
@pytest.mark.policy("GOV-3")
def test_an_audit_range_inside_the_window_still_searches(world):
    response = signed_in(world.office).get(reverse("governance:audit"), {"date_from": "2020-01-01", "date_to": "2099-12-31"})

    assert response.status_code == 200
    assert response.context["form"].is_valid()
    assert response.context["page"] is not None


def _book(world, **changes):
    from calls.models import Call

    with time_machine.travel(BOOKED_AT, tick=False), rolled_back():
        before = Call.objects.count()
        response = signed_in(world.teacher).post(reverse("calls:book"), {**_booking_base(world), **changes})
        created = Call.objects.count() - before
    cache.clear()
    return response, created


@pytest.mark.django_db
@pytest.mark.policy("CALL-1")
def test_a_booking_on_the_last_day_of_the_calendar_is_refused_with_a_message(world):
    response, created = _book(world, date="9999-12-31", start_time="23:00", duration_minutes="180")

    assert response.status_code == 200
    assert created == 0
    assert "Enter a date between 2000 and 2099." in response.context["form"].errors["date"]


@pytest.mark.django_db
@pytest.mark.policy("CALL-1")
def test_a_booking_beyond_the_horizon_is_refused_by_the_service_with_a_message(world):
    """The form accepts 2090 (inside the date window); the service refuses it, and says why."""
    response, created = _book(world, date="2090-11-14")

    assert response.status_code == 200
    assert created == 0
    assert b"A call can be booked at most two years ahead." in response.content


@pytest.mark.django_db
@pytest.mark.policy("CALL-1")
def test_the_same_booking_in_range_is_made(world):
    """The control: the base booking goes through, so the refusals above are about the values."""
    response, created = _book(world)

    assert response.status_code == 302
    assert created == 1


def _save_settings(world, **changes):
    from school.models import SchoolSettings

    with rolled_back():
        before = SchoolSettings.objects.values().get(pk=1) if SchoolSettings.objects.exists() else None
        response = signed_in(world.office).post(reverse("school:settings"), {**_school_settings_base(world), **changes})
        after = SchoolSettings.objects.values().get(pk=1) if SchoolSettings.objects.exists() else None
    cache.clear()
    return response, before, after


@pytest.mark.django_db
@pytest.mark.policy("COM-4")
def test_a_join_email_lead_time_of_2147483647_hours_is_refused_with_a_message(world):
    response, before, after = _save_settings(world, join_email_lead_hours="2147483647")

    assert response.status_code == 200
    assert after == before
    assert "Ensure this value is less than or equal to 168." in response.context["settings_form"].errors["join_email_lead_hours"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "too_big", "most"),
    [("join_window_minutes", 121, 120), ("min_booking_notice_hours", 337, 336), ("session_log_deadline_hours", 337, 336),
     ("log_correction_window_hours", 337, 336), ("concern_ack_minutes", 1441, 1440), ("join_email_lead_hours", 169, 168)],
)  # fmt: skip
def test_every_setting_has_a_maximum_and_the_maximum_itself_is_saved(world, field, too_big, most):
    refused, before, after_refused = _save_settings(world, **{field: str(too_big)})
    saved, _, after_saved = _save_settings(world, **{field: str(most)})

    assert refused.status_code == 200
    assert after_refused == before
    assert saved.status_code == 302
    assert after_saved[field] == most


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["session_log_deadline_hours", "concern_ack_minutes"])
def test_a_deadline_of_zero_is_refused(world, field):
    response, before, after = _save_settings(world, **{field: "0"})

    assert response.status_code == 200
    assert after == before


@pytest.mark.django_db
@pytest.mark.policy("COM-4")
def test_the_database_refuses_an_out_of_range_setting_whatever_the_path(world):
    """Not only the form: admin, shell or a script cannot store the value that broke every booking."""
    from school.models import SchoolSettings

    SchoolSettings.load()
    with pytest.raises(IntegrityError), transaction.atomic():
        SchoolSettings.objects.filter(pk=1).update(join_email_lead_hours=2147483647)


@pytest.mark.django_db
@pytest.mark.policy("CALL-1")
@pytest.mark.parametrize(
    ("starts_at", "minutes"),
    [(dt.datetime(9999, 12, 31, 23, 0, tzinfo=LONDON), 180), (BOOKED_AT + dt.timedelta(days=800), 30),
     (BOOKED_AT + dt.timedelta(days=2), 10**12), (BOOKED_AT + dt.timedelta(days=2), -5)],
)  # fmt: skip
def test_the_booking_service_refuses_out_of_bounds_input_from_any_caller(world, starts_at, minutes):
    """The service is authoritative (tasks and admin bypass the form): a refusal, never OverflowError."""
    from calls import services
    from calls.choices import CallKind, Platform
    from calls.services import booking

    with rolled_back(), pytest.raises(services.BookingRefused) as refused:
        booking.book_call(
            booked_by=world.teacher, now=BOOKED_AT, kind=CallKind.GROUP, title="Maths", activity="Counting.",
            platform=Platform.MICROSOFT_TEAMS, starts_at=starts_at, duration_minutes=minutes, host=world.teacher,
            second_staff=world.dsl, pupil_ids=[world.child_a.pk],
        )  # fmt: skip

    assert set(refused.value.problems) <= {"starts_at", "duration_minutes"}


# --- the rule beyond the examples: the shared pieces -------------------------------------------

FACTORY = RequestFactory()


@pytest.mark.parametrize(
    ("raw", "page"),
    [(None, 1), ("", 1), ("3", 3), (" 3 ", 3), ("0", 1), ("-1", 1), ("²", 1), ("١", 1), ("1e3", 1), ("3.0", 1),
     ("abc", 1), ("\x00", 1), (TWENTY_DIGITS, 1), ("999999999", MAX_PAGE), (str(MAX_PAGE + 1), MAX_PAGE)],
)  # fmt: skip
def test_the_requested_page_is_a_small_positive_number(raw, page):
    request = FACTORY.get("/", {} if raw is None else {"page": raw})

    assert requested_page(request) == page


@pytest.mark.parametrize(
    ("raw", "valid"),
    [("7", True), (str(MAX_ID), True), (str(MAX_ID + 1), False), (TWENTY_DIGITS, False), ("0", False), ("-1", False),
     ("²", False), ("1.5", False), ("abc", False), ("\x00", False), ("", True)],
)  # fmt: skip
def test_an_id_field_takes_only_ids_a_database_column_can_hold(raw, valid):
    form = type("F", (forms.Form,), {"id": IdField()})({"id": raw})

    assert form.is_valid() is valid


@pytest.mark.parametrize(
    ("raw", "valid"),
    [("2000-01-01", True), ("2099-12-31", True), ("1999-12-31", False), ("2100-01-01", False), ("9999-12-31", False),
     ("0001-01-01", False), ("2026-02-30", False), ("0000-00-00", False)],
)  # fmt: skip
def test_a_school_date_field_takes_only_dates_in_the_school_window(raw, valid):
    form = type("F", (forms.Form,), {"on": SchoolDateField()})({"on": raw})

    assert form.is_valid() is valid


@pytest.mark.parametrize(("raw", "valid"), [("Adams", True), ("a\x00b", False), ("x" * 100, True), ("x" * 101, False)])
def test_a_search_field_refuses_nul_and_essays(raw, valid):
    form = type("F", (forms.Form,), {"q": SearchField()})({"q": raw})

    assert form.is_valid() is valid


NOW = dt.datetime(2026, 11, 9, 8, 0, tzinfo=LONDON)


@pytest.mark.policy("CALL-1")
@pytest.mark.parametrize(
    ("starts_at", "minutes", "refused"),
    [(NOW + dt.timedelta(days=1), 30, set()), (NOW + calls_policy.BOOKING_HORIZON, 180, set()),
     (NOW + calls_policy.BOOKING_HORIZON + dt.timedelta(minutes=1), 30, {"starts_at"}),
     (dt.datetime(9999, 12, 31, 23, 0, tzinfo=LONDON), 180, {"starts_at"}),
     (NOW + dt.timedelta(days=1), 181, {"duration_minutes"}), (NOW + dt.timedelta(days=1), 0, {"duration_minutes"}),
     (NOW + dt.timedelta(days=1), 2**63, {"duration_minutes"}),
     (dt.datetime(9999, 12, 31, 23, 0, tzinfo=LONDON), 10**12, {"starts_at", "duration_minutes"})],
)  # fmt: skip
def test_booking_bounds_are_checked_before_any_date_arithmetic(starts_at, minutes, refused):
    problems = calls_policy.booking_bounds_problem(starts_at=starts_at, duration_minutes=minutes, now=NOW)

    assert set(problems) == refused


def test_the_school_window_holds_every_bookable_date():
    """The form's window must not refuse a date the service would accept."""
    assert (NOW + calls_policy.BOOKING_HORIZON).date() < LATEST_DATE


# --- hypothesis on the issue's forms: the numbers and dates an attacker would try ----------------

HUGE = st.sampled_from(["2147483647", "2147483648", "9223372036854775808", TWENTY_DIGITS, "-1", "0", "²", "١", "1e3", ""])
NUMBER = st.one_of(st.integers().map(str), st.integers(-10, 2000).map(str), HUGE)
DATE = st.one_of(st.dates().map(dt.date.isoformat), st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "2026-11-10"]))
TIME = st.one_of(st.times().map(lambda t: t.strftime("%H:%M")), st.sampled_from(["23:00", "23:59", "00:00", "24:00"]))
FORM_FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.django_db
@pytest.mark.policy("CALL-1")
@FORM_FUZZ
@given(date=DATE, start_time=TIME, minutes=NUMBER)
def test_no_date_time_or_length_breaks_the_booking_form(world, date, start_time, minutes):
    response, created = _book(world, date=date, start_time=start_time, duration_minutes=minutes)

    assert response.status_code in (200, 302)
    assert created == (1 if response.status_code == 302 else 0)


SETTING_NAMES = ["join_window_minutes", "join_email_lead_hours", "min_booking_notice_hours", "session_log_deadline_hours",
                 "log_correction_window_hours", "concern_ack_minutes"]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.policy("COM-4")
@FORM_FUZZ
@given(name=st.sampled_from(SETTING_NAMES), value=st.one_of(st.integers(0, 2000).map(str), NUMBER))
def test_no_setting_the_form_accepts_breaks_booking(world, name, value):
    """Whatever the office types: refused and unchanged, or saved and every booking still answers."""
    from calls.models import Call

    with time_machine.travel(BOOKED_AT, tick=False), rolled_back():
        saved = signed_in(world.office).post(reverse("school:settings"), {**_school_settings_base(world), name: value})
        cache.clear()
        before = Call.objects.count()
        booked = signed_in(world.teacher).post(reverse("calls:book"), _booking_base(world))
        made = Call.objects.count() - before
    cache.clear()

    assert saved.status_code in (200, 302)
    assert booked.status_code in (200, 302)
    assert made == (1 if booked.status_code == 302 else 0)


@pytest.mark.django_db
@pytest.mark.policy("GOV-3")
@FORM_FUZZ
@given(date_from=st.one_of(DATE, NUMBER), date_to=st.one_of(DATE, NUMBER), object_id=NUMBER)
def test_no_audit_range_or_record_number_breaks_the_audit_search(world, date_from, date_to, object_id):
    query = {"date_from": date_from, "date_to": date_to, "object_id": object_id}

    response = signed_in(world.office).get(reverse("governance:audit"), query)

    assert response.status_code == 200
