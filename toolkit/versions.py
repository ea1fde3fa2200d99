"""The data version: one number that changes with every write to the portal's tables.

Pages cache what they show under this number (toolkit.summaries), so a cached page is never
older than the last write: a write changes the number, and the next request misses the cache.

The number is kept by PostgreSQL itself. Each of the portal's tables carries a statement
trigger that adds one to it, inside the writing transaction, for every INSERT, UPDATE, DELETE
or TRUNCATE. So no service can forget to bump it, a bulk update or the admin counts too, and
the new number becomes visible at the same instant as the rows it stands for (the same commit).
Readers take the number *before* reading the data: a page built from data at least as new as
its key is never stale (tests/perf/test_summaries.py).

Tables whose writes change nothing any page shows are left out (EXCLUDED_TABLES): sessions
(written every minute of every visit), the audit log (written with every audited write anyway)
and the admin's own log.

Only PostgreSQL has the triggers; on SQLite (the embedded demo) `current()` is None and pages are
built on every request, as before.

Every writing statement bumps it (not once per transaction: a test runs in one transaction, and
each write in it must show). The row is then locked until that transaction commits, so writers
queue one after another on it; a school's writes are short and few, and docs/performance.md says
what this costs.
"""

from django.apps import apps as django_apps
from django.db import connections

TABLE = "toolkit_data_version"
FUNCTION = "toolkit_count_write"
EXCLUDED_TABLES = {"django_session", "auditlog_logentry", "django_admin_log", "django_migrations", TABLE}

_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION toolkit_count_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE toolkit_data_version SET number = number + 1 WHERE id = 1;
  IF NOT FOUND THEN
    -- The table was emptied (a test's flush): start from a number no earlier key used.
    INSERT INTO toolkit_data_version (id, number) VALUES (1, floor(random() * 1e15)::bigint)
      ON CONFLICT (id) DO UPDATE SET number = toolkit_data_version.number + 1;
  END IF;
  RETURN NULL;
END $$;
"""


def counted_tables() -> list[str]:
    """Every table of every installed model (many-to-many tables too), less the excluded ones."""
    tables = {
        model._meta.db_table
        for config in django_apps.get_app_configs()
        for model in config.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables - EXCLUDED_TABLES)


def install(using: str = "default", **kwargs) -> None:
    """Create the version row, its function and a trigger on every counted table (idempotent).

    Connected to post_migrate, so a new model's table is counted from the migrate that makes it.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS toolkit_data_version (id smallint PRIMARY KEY, number bigint NOT NULL)")
        cursor.execute(
            "INSERT INTO toolkit_data_version (id, number) VALUES (1, floor(random() * 1e15)::bigint) ON CONFLICT (id) DO NOTHING"
        )
        cursor.execute(_FUNCTION_SQL)
        for table in counted_tables():
            if table in existing:
                # A table name from the models' own Meta, quoted as an identifier.
                name = connection.ops.quote_name(table)
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER toolkit_count_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {name} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION toolkit_count_write()"
                )


def current(using: str = "default") -> int | None:
    """The data version now, or None where there is none (SQLite): then nothing may be cached."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM toolkit_data_version WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def tables_without_trigger(using: str = "default") -> list[str]:
    """Counted tables that have no trigger (a test proves this is empty after migrate)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s",
            [FUNCTION],
        )
        with_trigger = {row[0] for row in cursor.fetchall()}
    return [table for table in counted_tables() if table not in with_trigger]
