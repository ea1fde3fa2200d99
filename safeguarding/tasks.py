"""Periodic sweep for SG-5. Thin: find ids, call one service per concern; safe to run twice."""

from celery import shared_task
from django.utils import timezone

from . import selectors, services


@shared_task
def escalate_overdue_concerns() -> int:
    """Alert the deputy DSLs and the headteacher about concerns not acknowledged in time."""
    now = timezone.now()
    escalated = 0
    for concern_id in selectors.overdue_concern_ids(now):
        # One transaction per concern: one failure does not hold back the others.
        escalated += services.escalate_if_overdue(concern_id=concern_id, now=now)
    return escalated
