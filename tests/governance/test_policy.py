"""Governance rules as pure functions: no database, `now` passed in."""

import datetime as dt

import pytest

from governance import policy
from governance.formatting import render_policy_text

UTC = dt.UTC


@pytest.mark.policy("GOV-1")
@pytest.mark.parametrize(
    ("agreed_on", "set_on", "today", "expected"),
    [
        (dt.date(2026, 10, 14), None, dt.date(2026, 11, 1), dt.date(2027, 10, 14)),
        (dt.date(2026, 10, 14), dt.date(2027, 7, 1), dt.date(2026, 11, 1), dt.date(2027, 7, 1)),
        (dt.date(2024, 2, 29), None, dt.date(2024, 3, 1), dt.date(2025, 2, 28)),
        (None, None, dt.date(2026, 11, 28), dt.date(2027, 11, 28)),
    ],
)
def test_next_review_is_a_year_after_agreement_unless_set(agreed_on, set_on, today, expected):
    assert policy.next_review_on(agreed_on=agreed_on, set_on=set_on, today=today) == expected


@pytest.mark.policy("GOV-1")
@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2027, 8, 1), None),  # 31 days before
        (dt.date(2027, 8, 2), 30),  # 30 days before
        (dt.date(2027, 8, 20), 30),
        (dt.date(2027, 8, 25), 7),  # 7 days before
        (dt.date(2027, 9, 1), 7),  # the day itself
        (dt.date(2027, 12, 1), 7),  # overdue: the last reminder stays due (sent once by dedupe)
    ],
)
def test_head_is_reminded_30_and_7_days_before_the_review(today, expected):
    assert policy.review_reminder_due(next_review_on=dt.date(2027, 9, 1), today=today) == expected


@pytest.mark.policy("GOV-1")
def test_review_is_overdue_only_after_its_date():
    review = dt.date(2021, 9, 1)

    assert policy.review_overdue(next_review_on=review, today=dt.date(2021, 9, 2))
    assert not policy.review_overdue(next_review_on=review, today=review)


@pytest.mark.policy("GOV-1")
def test_a_version_is_published_once_and_only_after_governors_agree():
    today = dt.date(2026, 11, 28)

    assert not policy.may_publish(agreed_on=None, already_published=False, today=today).allowed
    assert not policy.may_publish(agreed_on=dt.date(2026, 12, 1), already_published=False, today=today).allowed
    assert not policy.may_publish(agreed_on=dt.date(2026, 11, 1), already_published=True, today=today).allowed
    assert policy.may_publish(agreed_on=dt.date(2026, 11, 1), already_published=False, today=today).allowed
    assert not policy.may_edit_version(already_published=True).allowed
    assert policy.may_edit_version(already_published=False).allowed


def test_a_pupil_is_marked_left_once_and_not_in_advance():
    today = dt.date(2026, 11, 28)

    assert policy.may_mark_left(already_left_on=None, left_on=today, today=today).allowed
    assert not policy.may_mark_left(already_left_on=None, left_on=dt.date(2026, 12, 1), today=today).allowed
    assert not policy.may_mark_left(already_left_on=dt.date(2026, 11, 1), left_on=today, today=today).allowed


@pytest.mark.policy("GOV-2")
@pytest.mark.parametrize(
    ("children_on_roll", "holds_staff_role", "closes"),
    [(0, False, True), (1, False, False), (0, True, False), (2, True, False)],
)
def test_guardian_account_closes_only_when_no_child_remains_and_not_for_staff(children_on_roll, holds_staff_role, closes):
    assert policy.guardian_account_closes(children_on_roll=children_on_roll, holds_staff_role=holds_staff_role) is closes


@pytest.mark.policy("GOV-4")
@pytest.mark.parametrize(
    ("made_at", "years", "expired"),
    [
        (dt.datetime(2025, 11, 27, 23, 59, tzinfo=UTC), 1, True),
        (dt.datetime(2025, 11, 28, 12, 0, tzinfo=UTC), 1, False),
        (dt.datetime(2023, 11, 28, 11, 59, tzinfo=UTC), 3, True),
        (dt.datetime(2024, 1, 1, tzinfo=UTC), 3, False),
    ],
)
def test_a_record_expires_after_its_period(made_at, years, expired):
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

    assert (made_at < policy.retention_cutoff(now=now, years=years)) is expired


@pytest.mark.policy("GOV-4")
def test_consent_history_is_kept_while_on_roll_and_for_years_after_leaving():
    today = dt.date(2026, 11, 28)

    cutoff = policy.leaver_cutoff(years_after_leaving=3, today=today)

    assert not dt.date(2023, 11, 29) <= cutoff
    assert dt.date(2023, 11, 28) <= cutoff


@pytest.mark.policy("GOV-4")
def test_safeguarding_records_are_kept_until_the_pupils_25th_birthday():
    cutoff = policy.safeguarding_cutoff(today=dt.date(2026, 11, 28))

    assert not dt.date(2001, 11, 29) <= cutoff
    assert dt.date(2001, 11, 28) <= cutoff


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM", "'@SUM"), ("Year 3", "Year 3"), (4, "4")],
)
def test_csv_cells_never_run_as_formulas(cell, expected):
    assert policy.csv_safe(cell) == expected


@pytest.mark.policy("COM-6")
def test_policy_text_renders_paragraphs_and_bullets_and_escapes_html():
    html = render_policy_text("Intent:\nline two\n\n- first <b>point</b>\n- second\n\n<script>alert(1)</script>")

    assert "<p>Intent:<br>line two</p>" in html
    assert "<ul><li>first &lt;b&gt;point&lt;/b&gt;</li><li>second</li></ul>" in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
