"""The one sanctioned way to remove safeguarding records: the retention sweep (GOV-4).

Concerns and their chronology are append-only (SG-4): the models refuse, and on PostgreSQL a
trigger refuses UPDATE and DELETE. Safeguarding records are still removed once every pupil
named has passed the safeguarding retention age (governance.retention), so the trigger lets a
DELETE through only inside this block. Use it around the retention sweep's deletes, nothing else.
"""

from contextlib import contextmanager

from django.db import connection, transaction

SWITCH = "egps.safeguarding_retention"


@contextmanager
def retention_delete_allowed():
    """Within this block (its own transaction or savepoint) the database accepts DELETEs of
    safeguarding rows. Updates stay refused (key rotation has its own switch)."""
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
