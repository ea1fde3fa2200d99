"""Beat task: while meetings run, read who is there (LOG-1). Cheap when idle: on the manual
platform it returns at once; on BigBlueButton it is one getMeetings request."""

import logging

from celery import shared_task
from django.utils import timezone

from . import services
from .base import PlatformError

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def poll_running_meetings():
    try:
        return services.poll_meetings(now=timezone.now())
    except PlatformError as error:
        # The server is down: the next sweep tries again; the end callback still closes reports.
        logger.warning("Meeting poll skipped: %s", error)
        return 0
