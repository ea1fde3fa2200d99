from django.conf import settings
from django.db import models


class OutboxState(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxMessage(models.Model):
    """One email to one recipient, written in the caller's transaction, sent by a Celery task.

    The row is the truth: if the broker is down or a worker dies, the sweep finds the row.
    """

    kind = models.CharField(max_length=60)
    recipient_email = models.EmailField()
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="outbox_messages"
    )
    # Copies, e.g. the colleague copied into staff mail to a pupil's own address (COM-5).
    cc = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True, default="")
    # Unique per intended message: notifying twice with one key sends once.
    dedupe_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "lease_until"]), models.Index(fields=["recipient_user", "-created_at"])]

    def __str__(self):
        return f"{self.kind} to {self.recipient_email} ({self.get_state_display()})"

    @property
    def message_id(self) -> str:
        """Fixed per row, so a repeat delivery is recognisable at the recipient."""
        return f"<outbox-{self.pk}@egps-portal>"
