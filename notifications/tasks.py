"""Delivery of outbox rows. Ids in; each task is safe to run twice."""

import datetime as dt

from celery import shared_task
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage, OutboxState

LEASE = dt.timedelta(minutes=5)


def _claim(ids, now):
    """Take pending rows (or rows whose lease ran out) for this worker; skip rows others hold."""
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, state__in=[OutboxState.PENDING, OutboxState.SENDING])
            .exclude(state=OutboxState.SENDING, lease_until__gt=now)
        )
        for row in rows:
            row.state = OutboxState.SENDING
            row.lease_until = now + LEASE
            row.attempts += 1
            row.save(update_fields=["state", "lease_until", "attempts"])
    return rows


def _as_email(row, connection):
    email = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        to=[row.recipient_email],
        cc=row.cc,
        connection=connection,
        headers={"Message-ID": row.message_id},
    )
    if row.body_html:
        email.attach_alternative(row.body_html, "text/html")
    return email


@shared_task
def deliver_outbox(ids):
    now = timezone.now()
    rows = _claim(ids, now)
    if not rows:
        return 0
    sent = 0
    with get_connection() as connection:
        for row in rows:
            try:
                _as_email(row, connection).send()
            except Exception as exc:  # noqa: BLE001 - recorded on the row for staff to see
                OutboxMessage.objects.filter(pk=row.pk).update(
                    state=OutboxState.PENDING, last_error=str(exc)[:2000], lease_until=None
                )
                continue
            OutboxMessage.objects.filter(pk=row.pk).update(state=OutboxState.SENT, sent_at=timezone.now(), lease_until=None)
            sent += 1
    return sent


@shared_task
def sweep_outbox():
    """Find rows left pending (broker was down) or with an expired lease (worker died)."""
    now = timezone.now()
    stale = OutboxMessage.objects.filter(state=OutboxState.PENDING) | OutboxMessage.objects.filter(
        state=OutboxState.SENDING, lease_until__lt=now
    )
    ids = list(stale.values_list("pk", flat=True)[:500])
    if ids:
        deliver_outbox.delay(ids)
    return len(ids)
