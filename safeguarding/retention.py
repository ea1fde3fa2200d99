"""The one sanctioned way to remove safeguarding records: the retention sweep (GOV-4).

Concerns and their chronology are append-only (SG-4): the models refuse, and on PostgreSQL a
trigger refuses UPDATE and DELETE. Safeguarding records are still removed once every pupil
named has passed the safeguarding retention age (oversight.retention), so the trigger lets a
DELETE through only inside this block. Use it around the retention sweep's deletes, nothing else.
"""

from toolkit.db import transaction_setting

SWITCH = "egps.safeguarding_retention"


def retention_delete_allowed():
    """Within this block the database accepts DELETEs of safeguarding rows; updates stay refused
    (key rotation has its own switch)."""
    return transaction_setting(SWITCH)
