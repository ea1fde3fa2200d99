"""Governance sweeps run by beat. Each is idempotent: run it twice and nothing changes twice."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task
def policy_review_reminders():
    """GOV-1: remind the head 30 and 7 days before the policy's review (dedupe keys send each once)."""
    return services.send_review_reminders(now=timezone.now())
