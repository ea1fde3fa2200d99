"""Delivery of outbox rows. Ids in; each task is safe to run twice (see delivery.py)."""

from celery import shared_task
from django.utils import timezone

from . import delivery
from .services import publish

# How many batches one sweep hands out; the next sweep takes the rest.
SWEEP_BATCHES = 20


@shared_task
def deliver_outbox(ids):
    """Send the due rows among `ids` (topped up with other due rows) over one SMTP connection."""
    return delivery.deliver(ids, now=timezone.now())


@shared_task
def sweep_outbox():
    """Beat, every NOTIFICATIONS_SWEEP_SECONDS: re-queue rows left waiting (broker was down,
    retry due) or held past their lease (worker died), so nothing waits forever."""
    ids = delivery.due_ids(now=timezone.now(), limit=delivery.batch_size() * SWEEP_BATCHES)
    publish(ids)
    return len(ids)
