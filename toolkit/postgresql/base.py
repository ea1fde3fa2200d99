"""Django's PostgreSQL backend, with a health check that also reads the data version.

With persistent connections Django checks a reused connection at the start of each request with a
`SELECT 1` before its first query (CONN_HEALTH_CHECKS): without it, the first request a thread
serves after a database restart would fail. The first query of nearly every request is the read of
the data version (toolkit.versions.current, by the signed-in person's middleware), so the health
check reads the version instead of selecting 1, and that read serves as the request's version: one
round trip less on every page, the same check (a dead connection still fails it and is replaced).
"""

from django.db.backends.postgresql import base

Database = base.Database

VERSION_SQL = "SELECT number FROM toolkit_data_version WHERE id = 1"


class DatabaseWrapper(base.DatabaseWrapper):
    # The version the latest health check read; toolkit.versions.current() takes it only when that
    # check ran inside its own request for a cursor (it clears this first), so it is never older
    # than the moment the version was asked for.
    checked_version: int | None = None

    def is_usable(self):
        if self.connection is None:
            return False
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(VERSION_SQL)
                row = cursor.fetchone()
        except Database.ProgrammingError:
            # The connection answered; the version table is not there yet (before the first migrate).
            self.connection.rollback()
            return True
        except Database.Error:
            return False
        self.checked_version = row[0] if row else None
        return True
