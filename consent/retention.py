"""The one sanctioned way to remove consent history: the retention sweep (GOV-4).

Consent decisions and acceptable-use acknowledgements are append-only (CON-5, CON-7): the
models refuse, and on PostgreSQL a trigger refuses UPDATE and DELETE. GOV-4 still requires
records past their retention period to be removed on schedule, so the trigger lets a DELETE
through only inside this block. Use it around raw deletes of expired rows, nothing else.
"""

from contextlib import contextmanager

from toolkit.db import transaction_setting

SWITCH = "consent.retention_sweep"


@contextmanager
def retention_delete_allowed():
    """Within this block the database accepts DELETEs of consent history; updates stay refused.
    On leaving it, the decision in force (CurrentConsent) is recomputed for every pupil whose
    stored decision went, in the same transaction."""
    from .services import refresh_after_removal

    with transaction_setting(SWITCH):
        yield
        refresh_after_removal()
