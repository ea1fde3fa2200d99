"""Bounded input (docs/trust-input.md): a setting stored out of range before the bounds existed is
brought to its bound by the migration that adds them, so it cannot keep breaking every booking."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db

BEFORE = [("school", "0002_directory_sync")]
AFTER = [("school", "0003_bounded_settings")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.skipif(connection.vendor != "postgresql", reason="schema changes inside the test's transaction: PostgreSQL")
@pytest.mark.policy("COM-4")
def test_the_migration_brings_a_stored_lead_time_of_2147483647_hours_to_its_bound():
    old_apps = _migrate(BEFORE)
    old_apps.get_model("school", "SchoolSettings").objects.update_or_create(
        pk=1, defaults={"join_email_lead_hours": 2147483647, "concern_ack_minutes": 0, "join_window_minutes": 15}
    )

    new_apps = _migrate(AFTER)

    row = new_apps.get_model("school", "SchoolSettings").objects.get(pk=1)
    assert (row.join_email_lead_hours, row.concern_ack_minutes, row.join_window_minutes) == (168, 1, 15)
