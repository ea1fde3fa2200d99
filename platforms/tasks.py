"""Beat and queued tasks of the platforms app.

- poll_running_meetings: while meetings run on BigBlueButton, read who is there (LOG-1). Cheap
  when idle: on the manual platform it returns at once; on BigBlueButton it is one request.
- create_hosted_meeting, check_hosted_drift, read_hosted_attendance: one call's meeting on
  Teams, Meet or Zoom. Failure is normal: 429 and 5xx retry after the platform's Retry-After;
  creation is idempotent (platforms.hosted), so a retry or a killed worker never makes two.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import hosted, registrants, services
from .base import PlatformError
from .models import HostedMeeting
from .remote import RetryLater

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def poll_running_meetings():
    try:
        return services.poll_meetings(now=timezone.now())
    except PlatformError as error:
        # The server is down: the next sweep tries again; the end callback still closes reports.
        logger.warning("Meeting poll skipped: %s", error)
        return 0


def _retry(task, error: RetryLater, meeting_id: str, *, on_give_up=None):
    if task.request.retries >= settings.PORTAL_PLATFORM_MAX_RETRIES:
        if on_give_up:
            on_give_up(meeting_id, str(error))
        logger.warning("Platform task %s gave up for %s: %s", task.name, meeting_id, error)
        return None
    raise task.retry(countdown=error.retry_after, exc=error, max_retries=settings.PORTAL_PLATFORM_MAX_RETRIES)


# acks_late: a worker killed mid-call leaves the message queued; the next run finds the row
# in CREATING and looks for the meeting before creating one.
@shared_task(bind=True, ignore_result=True, acks_late=True)
def create_hosted_meeting(self, meeting_id: str):
    try:
        row = hosted.create(meeting_id)
    except RetryLater as error:
        return _retry(self, error, meeting_id, on_give_up=hosted.give_up)
    except PlatformError as error:
        logger.warning("Meeting %s could not be created: %s", meeting_id, error)
        return None
    if row.registrants.filter(wanted=True).exclude(state="registered").exists():
        sync_hosted_registrants.delay(meeting_id)  # then each child's own place (Zoom registrants)
    return None


# Registering is idempotent on Zoom (an address already registered answers with its registrant) and
# each registrant is stored as soon as it is made, so a retry or a duplicate delivery only finishes the rest.
@shared_task(bind=True, ignore_result=True, acks_late=True)
def sync_hosted_registrants(self, meeting_id: str):
    try:
        registrants.sync(meeting_id)
    except RetryLater as error:
        return _retry(self, error, meeting_id)
    except PlatformError as error:
        logger.warning("Registrants for %s could not be brought up to date: %s", meeting_id, error)
    return None


@shared_task(bind=True, ignore_result=True, acks_late=True)
def update_hosted_meeting(self, meeting_id: str):
    try:
        hosted.update(meeting_id)
    except RetryLater as error:
        return _retry(self, error, meeting_id)
    except PlatformError as error:
        logger.warning("Meeting %s could not be updated: %s", meeting_id, error)
    return None


@shared_task(bind=True, ignore_result=True, acks_late=True)
def delete_hosted_meeting(self, platform: str, external_id: str, spec: dict):
    try:
        hosted.delete(platform, external_id, spec)
    except RetryLater as error:
        return _retry(self, error, external_id)
    except PlatformError as error:
        logger.warning("Cancelled meeting %s could not be deleted: %s", external_id, error)
    return None


@shared_task(bind=True, ignore_result=True)
def check_hosted_drift(self, meeting_id: str):
    try:
        hosted.check_drift(meeting_id, now=timezone.now())
    except RetryLater as error:
        return _retry(self, error, meeting_id)
    except PlatformError as error:
        logger.warning("Drift check for %s failed: %s", meeting_id, error)
    return None


@shared_task(bind=True, ignore_result=True)
def read_hosted_attendance(self, meeting_id: str):
    try:
        hosted.read_attendance(meeting_id, now=timezone.now())
    except RetryLater as error:
        return _retry(self, error, meeting_id)
    except PlatformError as error:
        logger.warning("Attendance for %s could not be read: %s", meeting_id, error)
    return None


@shared_task(ignore_result=True)
def sweep_hosted_meetings():
    """Beat: queue what is due: creation not finished, drift of meetings today, attendance of
    meetings that ended in the last day."""
    now = timezone.now()
    day = timezone.timedelta(days=1)
    rows = HostedMeeting.objects.exclude(state=HostedMeeting.State.FAILED).filter(attendance_read_at__isnull=True)
    for row in rows.filter(created_at__gte=now - timezone.timedelta(days=120)).only("meeting_id", "state", "spec"):
        spec = hosted.spec_from_json(row.spec)
        if row.state != HostedMeeting.State.CREATED:
            if spec.ends_at > now:
                create_hosted_meeting.delay(row.meeting_id)
        elif spec.starts_at - now < day and spec.ends_at > now:
            check_hosted_drift.delay(row.meeting_id)
            if row.registrants.filter(wanted=True).exclude(state="registered").exclude(state="failed").exists():
                sync_hosted_registrants.delay(row.meeting_id)
        elif now - 2 * day < spec.ends_at <= now - timezone.timedelta(minutes=10):
            # Reports appear some minutes after the end; asked until they do, for two days.
            read_hosted_attendance.delay(row.meeting_id)
