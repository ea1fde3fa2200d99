"""A migration's own steps, found the way `migrate` finds them (migration modules are named with
digits, so they cannot be imported by name), for tests that prove what a data migration does."""

from django.db import connection
from django.db.migrations.loader import MigrationLoader


def steps(app_label, name, kind):
    """The operations of one kind (RunSQL, RunPython) in migration `name` of `app_label`."""
    migration = MigrationLoader(connection, ignore_no_migrations=True).get_migration(app_label, name)
    return [operation for operation in migration.operations if isinstance(operation, kind)]
