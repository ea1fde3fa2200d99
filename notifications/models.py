import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q


def new_message_id() -> str:
    """A Message-ID for a new row (RFC 5322 3.6.4): 128 random bits at the portal's own domain.

    Random rather than the row's id, because ids repeat: every school's portal starts at 1, and a
    restored backup hands out again the ids written after it was taken. Mailbox providers
    de-duplicate on Message-ID and would hide the later email (a join link) as a copy of the first.
    A per-install id would not help after a restore (it is restored with the data); a per-row
    random one does, and is unique across installs too.
    """
    return f"<outbox.{secrets.token_hex(16)}@{message_id_domain()}>"


def message_id_domain() -> str:
    """The host of PORTAL_BASE_URL: the name the school's portal answers to."""
    return (urlsplit(settings.PORTAL_BASE_URL).hostname or "localhost").lower()


class OutboxState(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxQuerySet(models.QuerySet):
    def due(self, now):
        """Rows a worker may take now: waiting and due, or held by a worker whose lease ran out."""
        return self.filter(
            Q(state=OutboxState.PENDING, next_attempt_at__isnull=True)
            | Q(state=OutboxState.PENDING, next_attempt_at__lte=now)
            | Q(state=OutboxState.SENDING, lease_until__lt=now)
        )

    def needing_attention(self):
        """What staff watch in the outbox: failed for good, or not sent yet."""
        return self.filter(state__in=[OutboxState.FAILED, OutboxState.PENDING, OutboxState.SENDING])

    def sent_to(self, user):
        """Messages the portal sent (or will send) to this person's account.

        Matched on the account, never on an address string: whoever holds an address on their
        account must not read mail the school wrote to that address for someone else (issue 16).
        """
        return self.filter(recipient_user=user)


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
    # The exact bytes sent (RFC 5322, with the fixed Message-ID) but for the Date header, which the
    # worker adds when it actually sends; built once when written. Empty on rows written before it existed.
    raw_message = models.BinaryField(blank=True, default=b"", editable=False)
    # Fixed when the row is written, so a retry is recognisable as the same message. Random, not the
    # row's id: mailbox providers de-duplicate on Message-ID, and ids repeat across schools and after
    # a restored backup (the same id would hide a later, different email).
    message_id = models.CharField(max_length=255, unique=True, editable=False, default=new_message_id)
    # Unique per intended message: notifying twice with one key sends once.
    dedupe_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    # Tries at the SMTP server (a claim by a worker that died before trying does not count).
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # When a waiting row may next be tried: now for a new row, later after a temporary failure.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "lease_until"]),
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["recipient_user", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.kind} to {self.recipient_email} ({self.get_state_display()})"


class StaffMessage(models.Model):
    """A message a member of staff wrote to a family through the portal (COM-5).

    Kept with the colleagues copied in, so the school can show that mail to a pupil's own
    address always had another member of staff on it.
    """

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_messages_written")
    pupil = models.ForeignKey("school.Pupil", on_delete=models.PROTECT, related_name="staff_messages")
    # Set when written to a parent/carer; empty when written to the pupil's personal address.
    guardian = models.ForeignKey(
        "school.Guardian", on_delete=models.PROTECT, null=True, blank=True, related_name="staff_messages"
    )
    recipient_email = models.EmailField()
    cc_staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="staff_messages_copied")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sent_at = models.DateTimeField()
    outbox = models.OneToOneField(OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff_message")

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self):
        return f"{self.subject} to {self.recipient_email}"

    @property
    def to_pupil_address(self) -> bool:
        return self.guardian_id is None
