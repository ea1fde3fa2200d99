"""The one way any app sends email: write an outbox row now, deliver it after commit."""

import logging

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from .models import OutboxMessage

log = logging.getLogger(__name__)


def render_email(kind: str, context: dict) -> tuple[str, str, str]:
    """Subject, text body and HTML body from templates/notifications/email/<kind>-*.{txt,html}."""
    base = f"notifications/email/{kind}"
    subject = " ".join(render_to_string(f"{base}-subject.txt", context).split())
    text = render_to_string(f"{base}-body.txt", context)
    html = render_to_string(f"{base}-body.html", context)
    return subject, text, html


def notify(*, to: str, kind: str, context: dict, dedupe_key: str, user=None, cc=()) -> OutboxMessage:
    """Queue one email to one address. Call inside the caller's transaction.

    The same dedupe_key twice gives the same row, so a retried request sends once.
    """
    existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    subject, text, html = render_email(kind, {**context, "recipient_email": to})
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                kind=kind,
                recipient_email=to,
                recipient_user=user,
                cc=list(cc),
                subject=subject,
                body_text=text,
                body_html=html,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        # Another request wrote the same message between our check and insert.
        return OutboxMessage.objects.get(dedupe_key=dedupe_key)
    transaction.on_commit(lambda: _publish(message.pk))
    return message


def _publish(message_id: int) -> None:
    """Hand the row to a worker. If the broker is unreachable the sweep sends it later."""
    from .tasks import deliver_outbox

    try:
        deliver_outbox.delay([message_id])
    except Exception:  # noqa: BLE001 - a broker outage must never fail the web request
        log.warning("Broker unavailable; outbox message %s waits for the sweep", message_id)
