"""Start-up check: the retention schedule (GOV-4) names every record type with a whole number."""

from django.conf import settings
from django.core.checks import Error, register

PERIOD_KEYS = {"years", "years_after_leaving", "until_age"}


@register()
def retention_schedule_check(app_configs, **kwargs):
    from .retention import RECORD_TYPES

    schedule = getattr(settings, "PORTAL_RETENTION", None) or {}
    errors = []
    for key in sorted({t.setting or t.key for t in RECORD_TYPES}):
        period = schedule.get(key)
        valid = isinstance(period, dict) and len(period) == 1 and set(period) <= PERIOD_KEYS
        if not valid or not isinstance(next(iter(period.values())), int) or next(iter(period.values())) < 1:
            errors.append(
                Error(
                    f"PORTAL_RETENTION[{key!r}] must be one of {sorted(PERIOD_KEYS)} with a whole number of at least 1.",
                    id="governance.E001",
                )
            )
    return errors
