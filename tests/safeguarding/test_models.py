"""Protection at rest and append-only records (SG-4, GOV-3): nothing edits or deletes a concern."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.db import connection, transaction
from django.db.utils import DatabaseError

from safeguarding import models, services
from safeguarding.models import AppendOnlyError, Concern, ConcernEntry, DslAbsence

from .conftest import ACTION_TAKEN, CHILDS_WORDS, WHAT_HAPPENED

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)

CONTENT_MODELS = [
    models.Concern,
    models.ConcernPupil,
    models.ConcernEntry,
    models.ConcernAccess,
    models.ConcernAlert,
    models.PupilFileExport,
]


@pytest.mark.policy("SG-3")
def test_a_raw_read_of_the_concerns_table_shows_no_concern_text(concern, dsl, now):
    services.add_note(concern=concern, by=dsl, text="Spoke to the social worker on duty", now=now)

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM safeguarding_concern")
        concern_rows = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM safeguarding_concernentry")
        entry_rows = repr(cursor.fetchall())

    for secret in (WHAT_HAPPENED, CHILDS_WORDS, ACTION_TAKEN, "Amelia", "scared", "angry"):
        assert secret not in concern_rows
    assert "social worker" not in entry_rows
    assert Concern.objects.get().what_happened == WHAT_HAPPENED  # and the portal still reads it


@pytest.mark.policy("SG-4")
def test_a_concern_or_entry_cannot_be_changed_or_deleted(concern, dsl, now):
    entry = services.add_note(concern=concern, by=dsl, text="First note", now=now)

    entry.text = "Rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    concern.what_happened = "Nothing really"
    with pytest.raises(AppendOnlyError):
        concern.save()
    with pytest.raises(AppendOnlyError):
        Concern.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        ConcernEntry.objects.filter(pk=entry.pk).update(text="Rewritten")

    assert ConcernEntry.objects.get(pk=entry.pk).text == "First note"


@pytest.mark.policy("SG-4")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize("table", ["safeguarding_concern", "safeguarding_concernentry", "safeguarding_concernaccess"])
def test_postgresql_refuses_update_and_delete_even_in_raw_sql(concern, dsl, now, table):
    services.acknowledge(concern=concern, by=dsl, now=now)
    services.record_access(concern=concern, user=dsl, now=now)

    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):  # noqa: S608 - fixed table names
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


@pytest.mark.policy("GOV-3")
def test_the_audit_log_records_who_and_when_but_never_the_concern_text(concern, dsl, now):
    services.add_note(concern=concern, by=dsl, text="Confidential note text", now=now)

    entries = LogEntry.objects.filter(content_type__app_label="safeguarding")
    logged = repr(list(entries.values_list("changes", "object_repr", "serialized_data")))
    assert entries.filter(content_type__model="concern", action=LogEntry.Action.CREATE).exists()
    assert entries.filter(content_type__model="concernentry", action=LogEntry.Action.CREATE).exists()
    for secret in (WHAT_HAPPENED, CHILDS_WORDS, ACTION_TAKEN, "Confidential note text"):
        assert secret not in logged


@pytest.mark.policy("SG-3")
def test_no_admin_page_shows_concern_content():
    for model in CONTENT_MODELS:
        assert not admin.site.is_registered(model), model


def test_nothing_about_a_concern_is_in_its_name(concern):
    assert str(concern) == f"Concern {concern.reference}"
    assert WHAT_HAPPENED not in str(concern.entries.model(concern=concern, kind="note", text=WHAT_HAPPENED))


@pytest.mark.policy("SG-2")
@pytest.mark.parametrize(
    ("now", "unavailable"),
    [
        (NOW - dt.timedelta(seconds=1), False),
        (NOW, True),
        (NOW + dt.timedelta(hours=2), True),
        (NOW + dt.timedelta(hours=3), False),  # the end is exclusive: back at 13:00
    ],
)
def test_unavailability_covers_its_start_up_to_its_end(dsl, head, now, unavailable):
    DslAbsence.objects.create(user=dsl, starts_at=NOW, ends_at=NOW + dt.timedelta(hours=3), recorded_by=head, recorded_at=NOW)

    assert DslAbsence.objects.covering(now).filter(user=dsl).exists() is unavailable
