"""Every write to the school directory: atomic, audited (auditlog names the acting person)."""

import datetime as dt

from django.db import transaction

from accounts.audit import acting_as
from accounts.services import AccountError, create_account

from . import imports
from .models import Closure, Guardian, Guardianship, SchoolDay, SchoolSettings, TermDate, forget_school_cache


class DirectoryError(Exception):
    """A refusal whose text is safe to show to the person who asked."""


class ImportRefused(DirectoryError):
    def __init__(self, report):
        super().__init__("Nothing was imported: some rows need fixing first.")
        self.report = report


@transaction.atomic
def create_guardian_account(
    *, email, first_name, last_name, phone, pupil, relationship, parental_responsibility, created_by, now
) -> Guardian:
    """A parent/carer with an account, linked to one child, and their invitation email."""
    try:
        user = create_account(email=email, first_name=first_name, last_name=last_name, created_by=created_by, now=now)
    except AccountError as e:
        raise DirectoryError(str(e)) from e
    with acting_as(created_by):
        guardian = Guardian.objects.create(user=user, first_name=first_name, last_name=last_name, email=user.email, phone=phone)
        Guardianship.objects.create(
            guardian=guardian, pupil=pupil, relationship=relationship, parental_responsibility=parental_responsibility
        )
    return guardian


def preview_import(*, kind: str, text: str, imported_by, now) -> imports.ImportReport:
    """What importing `text` would do, row by row. Writes nothing (the dry run is rolled back)."""
    with acting_as(imported_by):
        return imports.run(kind, text, dry_run=True, imported_by=imported_by, now=now)


@transaction.atomic
def confirm_import(*, kind: str, text: str, imported_by, now, good_rows_only=False) -> imports.ImportReport:
    """Import `text` for real. If any row is wrong nothing is written and ImportRefused says why.

    good_rows_only: the office chose to import the rows that are fine and fix the others later;
    the report lists the rows left out, with their reasons, as "Not imported"."""
    left_out = []
    with acting_as(imported_by):
        if good_rows_only:
            checked = imports.run(kind, text, dry_run=True, imported_by=imported_by, now=now)
            left_out = checked.error_rows
            if checked.problems or len(left_out) == len(checked.rows):
                raise ImportRefused(checked)
        report = imports.run(
            kind, text, dry_run=False, imported_by=imported_by, now=now, leave_out=frozenset(r.number for r in left_out)
        )
    if not report.ok:
        transaction.set_rollback(True)
        raise ImportRefused(report)
    if left_out:
        report.rows = sorted(report.rows + left_out, key=lambda r: r.number)
        report.counts["Not imported"] = len(left_out)
    return report


@transaction.atomic
def update_school_settings(*, form, changed_by) -> SchoolSettings:
    """Save the school-wide settings form (name, contacts, deadlines)."""
    with acting_as(changed_by):
        return form.save()


@transaction.atomic
def set_school_hours(*, hours: dict, changed_by) -> None:
    """hours: {weekday: (opens_at, closes_at) or None for not a school day}."""
    with acting_as(changed_by):
        for weekday, times in hours.items():
            day = SchoolDay.objects.filter(weekday=weekday).first()
            if times is None:
                if day is not None:
                    day.delete()
                continue
            opens_at, closes_at = times
            if closes_at <= opens_at:
                raise DirectoryError("A school day must close after it opens.")
            day = day or SchoolDay(weekday=weekday)
            # Only real changes are saved, so the audit history shows only real changes.
            if day.pk is None or (day.opens_at, day.closes_at) != (opens_at, closes_at):
                day.opens_at, day.closes_at = opens_at, closes_at
                day.save()
    transaction.on_commit(forget_school_cache)


def _check_dates(starts_on: dt.date, ends_on: dt.date):
    if ends_on < starts_on:
        raise DirectoryError("The last day must be on or after the first day.")


@transaction.atomic
def add_term(*, name, starts_on, ends_on, changed_by) -> TermDate:
    _check_dates(starts_on, ends_on)
    with acting_as(changed_by):
        return TermDate.objects.create(name=name, starts_on=starts_on, ends_on=ends_on)


@transaction.atomic
def remove_term(*, term, changed_by) -> None:
    with acting_as(changed_by):
        term.delete()
    transaction.on_commit(forget_school_cache)


@transaction.atomic
def add_closure(*, reason, starts_on, ends_on, changed_by) -> Closure:
    _check_dates(starts_on, ends_on)
    with acting_as(changed_by):
        return Closure.objects.create(reason=reason, starts_on=starts_on, ends_on=ends_on)


@transaction.atomic
def remove_closure(*, closure, changed_by) -> None:
    with acting_as(changed_by):
        closure.delete()
    transaction.on_commit(forget_school_cache)
