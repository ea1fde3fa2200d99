"""Beat sweeps for calls: they read the database, so a missed run is caught up by the next one."""

from celery import shared_task
from django.utils import timezone

from . import timetables
from .services import join_details


@shared_task
def send_due_join_details():
    """COM-4: join links for calls now within the school's lead time (at once for late bookings)."""
    return join_details.send_due_join_details(now=timezone.now())


@shared_task
def send_weekly_timetables():
    """COM-2: each family's calls for the coming week. Safe to run more than once a week."""
    return timetables.send_weekly_timetables(now=timezone.now())
