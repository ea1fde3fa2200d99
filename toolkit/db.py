"""Database helpers every app shares."""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def transaction_setting(name: str):
    """Within this block (its own transaction or savepoint) the PostgreSQL setting `name` is 'on'.

    Append-only tables' triggers read such a setting to allow one sanctioned operation (the
    retention sweep's DELETE, key rotation's UPDATE) and nothing else. set_config(..., true) is
    transactional, so an error rolls the 'on' back with the savepoint; on leaving, it is 'off'
    again even later in the same outer transaction. SQLite has no triggers: nothing to set.
    """
    with transaction.atomic():
        _set(name, "on")
        yield
        _set(name, "off")


def _set(name: str, value: str) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
