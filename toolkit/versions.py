"""The data version: one number that changes with every write to the portal's tables.

Pages cache what they show under this number (toolkit.summaries), so a cached page is never
older than the last write: a write changes the number, and the next request misses the cache.

The number is kept by PostgreSQL itself. Each of the portal's tables carries a statement
trigger that adds one to it, inside the writing transaction, for every INSERT, UPDATE, DELETE
or TRUNCATE. So no service can forget to bump it, a bulk update or the admin counts too, and
the new number becomes visible at the same instant as the rows it stands for (the same commit).
Readers take the number *before* reading the data: a page built from data at least as new as
its key is never stale (tests/perf/test_summaries.py).

Tables whose writes change nothing a cached page shows are left out: sessions (written every
minute of every visit), the audit log (written with every audited write anyway), the admin's own
log (EXCLUDED_TABLES), and any model that says `changes_cached_pages = False` (the record of who
read a concern, written on every reading and drawn live wherever it is shown). Their old
triggers are dropped by install().

Only PostgreSQL has the triggers; on SQLite (the embedded demo) `current()` is None and pages are
built on every request, as before.

The numbers come from a sequence, which a rolled-back transaction never hands out again: a
number, once seen, stands for one state of the data for ever (a test's rollback, a failed
request), so a cache keyed by it alone (the signed-in person, the school's settings) is safe.

Every writing statement bumps it (not once per transaction: a test runs in one transaction, and
each write in it must show). The row is then locked until that transaction commits, so writers
queue one after another on it; a school's writes are short and few, and docs/performance.md says
what this costs.
"""

import threading
from contextlib import contextmanager

from django.apps import apps as django_apps
from django.core.signals import request_finished, request_started
from django.db import connections
from django.dispatch import receiver

TABLE = "toolkit_data_version"
FUNCTION = "toolkit_count_write"
EXCLUDED_TABLES = {"django_session", "auditlog_logentry", "django_admin_log", "django_migrations", TABLE}

_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION toolkit_count_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE toolkit_data_version SET number = nextval('toolkit_data_version_numbers') WHERE id = 1;
  IF NOT FOUND THEN
    INSERT INTO toolkit_data_version (id, number) VALUES (1, nextval('toolkit_data_version_numbers'))
      ON CONFLICT (id) DO UPDATE SET number = nextval('toolkit_data_version_numbers');
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
        if model._meta.managed and not model._meta.proxy and getattr(model, "changes_cached_pages", True)
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
        cursor.execute("CREATE SEQUENCE IF NOT EXISTS toolkit_data_version_numbers")
        cursor.execute("CREATE TABLE IF NOT EXISTS toolkit_data_version (id smallint PRIMARY KEY, number bigint NOT NULL)")
        cursor.execute(
            "INSERT INTO toolkit_data_version (id, number) VALUES (1, nextval('toolkit_data_version_numbers')) "
            "ON CONFLICT (id) DO NOTHING"
        )
        cursor.execute(_FUNCTION_SQL)
        counted = counted_tables()
        for table in sorted(existing - set(counted)):
            cursor.execute(f"DROP TRIGGER IF EXISTS toolkit_count_write ON {connection.ops.quote_name(table)}")
        for table in counted:
            if table in existing:
                # A table name from the models' own Meta, quoted as an identifier.
                name = connection.ops.quote_name(table)
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER toolkit_count_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {name} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION toolkit_count_write()"
                )


# Within a request, the version is read once, at its start (when the person is loaded, before
# anything the page shows): everything read afterwards is at least as new as the number.
_request = threading.local()


@receiver(request_started, dispatch_uid="toolkit.versions.request_started")
def _request_started(**kwargs):
    _request.active, _request.version = True, None


@receiver(request_finished, dispatch_uid="toolkit.versions.request_finished")
def _request_finished(**kwargs):
    _request.active, _request.version = False, None


@contextmanager
def remembering():
    """Within this block the version is read once, as within a request (a task, a test)."""
    _request_started()
    try:
        yield
    finally:
        _request_finished()


def remembered() -> int | None:
    """The version as this request first read it; outside a request (a task, a shell), read now."""
    if not getattr(_request, "active", False):
        return current()
    if _request.version is None:
        _request.version = current()
    return _request.version


def unchanged_since(version: int | None) -> bool:
    """Whether the data version is still `version` as this connection sees it now."""
    return version is not None and current() == version


def current(using: str = "default") -> int | None:
    """The data version now, or None where there is none (SQLite): then nothing may be cached."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    connection.checked_version = None
    with connection.cursor() as cursor:
        # A reused connection's health check, if it ran just now (for this cursor), read the
        # version already (toolkit/postgresql/base.py): the same number, one round trip less.
        checked = connection.checked_version
        if checked is not None:
            return checked
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


class PerVersion:
    """Values kept in this process for the latest data version seen, dropped when it moves on.

    For what nearly every page reads and only a write can change (the signed-in person, the
    school's settings). `get` hands back what `build()` made for this version and key; with no
    version (SQLite) it builds every time. Callers copy what they hand out if it can be changed.
    """

    def __init__(self, most: int = 5000):
        self.most = most
        self._version = None
        self._values: dict = {}

    def get(self, key, build, keep=lambda value: True):
        """What build() made for this key and version; kept only if keep(value) says so."""
        version = remembered()
        if version is None:
            return build()
        if version != self._version:
            self._version, self._values = version, {}
        values = self._values
        found = values.get(key)
        if found is None:
            found = build()
            # Kept only if nothing was written since the version was read: a value built after this
            # request's own write (not yet committed, perhaps never) must not stand for `version`.
            if keep(found) and unchanged_since(version):
                if len(values) >= self.most:  # a bound on memory: start again
                    values.clear()
                values[key] = found
        return found
