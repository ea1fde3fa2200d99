"""The one sanctioned way to remove consent history: the retention sweep (GOV-4).

Consent decisions and acceptable-use acknowledgements are append-only (CON-5, CON-7): the
models refuse, and on PostgreSQL a trigger refuses UPDATE and DELETE. GOV-4 still requires
records past their retention period to be removed on schedule, so the trigger lets a DELETE
through only inside this block. Use it around raw deletes of expired rows, nothing else.
"""

from contextlib import contextmanager

from django.db import connection, transaction

SWITCH = "consent.retention_sweep"


@contextmanager
def retention_delete_allowed():
    """Within this block (its own transaction or savepoint) the database accepts DELETEs of
    consent history. Updates stay refused. Outside it, everything is refused again, even later
    in the same outer transaction."""
    with transaction.atomic():
        _set("on")
        yield
        # On an error the savepoint's rollback undoes the "on" itself (set_config is transactional).
        _set("off")


def _set(value: str) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite has no trigger; the ORM guard is the only one there
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [SWITCH, value])
