"""Beat sweep for session logs: it reads the database, so a missed run is caught up by the next one."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task
def chase_missing_logs():
    """LOG-4: remind hosts of calls ended without a log; past the deadline, tell the headteacher."""
    return services.chase_missing_logs(now=timezone.now())
