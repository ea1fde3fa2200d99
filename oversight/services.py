"""The one write of the oversight app: the retention sweep (GOV-4) and its report."""

from django.db import transaction

from governance.models import RetentionRun

from . import retention


@transaction.atomic
def run_retention(*, now, by=None):
    """GOV-4: remove every record past its period and write the report of what went.

    Each record type is removed in its own savepoint, so one the database refuses (an
    append-only trigger) is reported as kept and the others still go."""
    report = []
    for record_type in retention.RECORD_TYPES:
        action, count, note = record_type.remove(now)
        report.append(
            {"record_type": record_type.key, "label": record_type.label, "action": action, "count": count, "note": note}
        )
    total = sum(row["count"] for row in report if row["action"] == retention.DELETED)
    return RetentionRun.objects.create(ran_at=now, ran_by=by, report=report, total=total)
