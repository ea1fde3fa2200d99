"""Demo data for the notification centre: one email that bounced, so the head and the office see
the outbox panel and the retry button. Idempotent."""

from .models import OutboxMessage, OutboxState

BOUNCED_ADDRESS = "old-address@demo.egps.test"


def seed(now):
    OutboxMessage.objects.get_or_create(
        dedupe_key="demo:bounced-newsletter",
        defaults={
            "kind": "staff-message",
            "recipient_email": BOUNCED_ADDRESS,
            "subject": "Reading books for next week",
            "body_text": "Dear parent or carer,\n\nPlease send reading books back on Monday.\n",
            "state": OutboxState.FAILED,
            "attempts": 1,
            "next_attempt_at": now,
            "last_error": f"{BOUNCED_ADDRESS} refused: 550 5.1.1 Mailbox does not exist",
        },
    )
