"""Oversight sweeps run by beat. Idempotent: run twice and nothing changes twice."""

from celery import shared_task
from django.utils import timezone

from . import services


# The name it was first scheduled under: beat schedules and queued messages keep working.
@shared_task(name="governance.tasks.retention_sweep")
def retention_sweep():
    """GOV-4: remove what is past its retention period and write a RetentionRun report."""
    return services.run_retention(now=timezone.now()).pk
