"""Bounded input (docs/trust-input.md): a setting stored out of range before the bounds existed is
brought to its bound by the migration that adds them, so it cannot keep breaking every booking."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from school.models import SchoolSettings

pytestmark = pytest.mark.django_db

BEFORE = [("school", "0002_directory_sync")]
AFTER = [("school", "0003_bounded_settings")]
STORED = "SELECT join_email_lead_hours, concern_ack_minutes, join_window_minutes FROM school_schoolsettings WHERE id = 1"


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="schema changes inside the test's transaction: PostgreSQL")
@pytest.mark.policy("COM-4")
def test_the_migration_brings_a_stored_lead_time_of_2147483647_hours_to_its_bound():
    SchoolSettings.objects.update_or_create(pk=1, defaults={"join_window_minutes": 15})
    _migrate(BEFORE)
    # Written as the unbounded schema allowed, in SQL: the models of today no longer fit that schema.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE school_schoolsettings SET join_email_lead_hours = 2147483647, concern_ack_minutes = 0 WHERE id = 1"
        )

    _migrate(AFTER)

    with connection.cursor() as cursor:
        cursor.execute(STORED)
        assert cursor.fetchone() == (168, 1, 15)
