"""Delivery of outbox rows: claim a batch with a lease, send it over one SMTP connection, record
each outcome on its row.

At-least-once by design (a lost join link is worse than a repeated one). The only possible
repeat is a worker dying between the SMTP server accepting a message and the row being marked
sent; the repeat carries the row's fixed Message-ID, so it is recognisable (and its own Date:
every try is stamped with the moment it is handed to the server). Every state change
is a conditional UPDATE on (state, lease), so a task run twice, or a worker whose lease ran
out, never overwrites what another worker did.
"""

import datetime as dt
import functools
import logging
import re
import secrets
import smtplib
import time
from contextlib import contextmanager
from email.generator import BytesGenerator
from email.utils import format_datetime
from io import BytesIO

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from . import policy
from .models import OutboxMessage, OutboxState

log = logging.getLogger(__name__)


def batch_size() -> int:
    return settings.NOTIFICATIONS_BATCH_SIZE


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NOTIFICATIONS_LEASE_SECONDS)


def claim(ids, *, now) -> list[OutboxMessage]:
    """Take the due rows among `ids`, topped up with other due rows to one batch, for this worker.

    Rows another worker holds are skipped (SKIP LOCKED), so two workers never claim one row.
    Topping up lets one task drain a backlog over one SMTP connection.
    """
    with transaction.atomic():
        due = OutboxMessage.objects.due(now).select_for_update(skip_locked=True)
        rows = list(due.filter(pk__in=list(ids)).order_by("pk")[: batch_size()])
        room = batch_size() - len(rows)
        if room > 0:
            others = due.exclude(pk__in=[r.pk for r in rows]).order_by(F("next_attempt_at").asc(nulls_first=True), "pk")
            rows += list(others[:room])
        lease_until = now + lease()
        OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).update(state=OutboxState.SENDING, lease_until=lease_until)
    for row in rows:
        row.state, row.lease_until = OutboxState.SENDING, lease_until
    return rows


def _still_ours(row):
    """The row as long as this worker's lease on it stands (a conditional UPDATE target)."""
    return OutboxMessage.objects.filter(pk=row.pk, state=OutboxState.SENDING, lease_until=row.lease_until)


def mark_sent(row) -> None:
    """The hot path (once per message): the same conditional UPDATE as _still_ours(row).update(...),
    in SQL written once, because compiling the ORM query each time doubled the worker's CPU per mark."""
    stamp = connection.ops.adapt_datetimefield_value
    params = [OutboxState.SENT, stamp(timezone.now()), row.pk, OutboxState.SENDING, stamp(row.lease_until)]
    with connection.cursor() as cursor:
        cursor.execute(_mark_sent_sql(), params)


@functools.cache
def _mark_sent_sql() -> str:
    q = connection.ops.quote_name
    table = q(OutboxMessage._meta.db_table)
    # Identifiers come from the model and are quoted; every value is a parameter.
    sets = f"{q('state')} = %s, {q('sent_at')} = %s, {q('lease_until')} = NULL, {q('attempts')} = {q('attempts')} + 1"
    where = f"{q('id')} = %s AND {q('state')} = %s AND {q('lease_until')} = %s"
    return f"UPDATE {table} SET {sets}, {q('last_error')} = '' WHERE {where}"  # noqa: S608  # nosec B608


def mark_failed(row, *, reason: str, permanent: bool, now) -> None:
    """A failed try: FAILED for good (5xx, or too many tries), otherwise back to waiting with backoff."""
    attempts = row.attempts + 1
    if permanent or policy.gives_up(attempts=attempts, max_attempts=settings.NOTIFICATIONS_MAX_ATTEMPTS):
        if not permanent:
            reason = f"Gave up after {attempts} attempts. Last error: {reason}"
        _still_ours(row).update(state=OutboxState.FAILED, attempts=attempts, last_error=reason[:2000], lease_until=None)
        log.warning("Outbox message %s failed: %s", row.pk, reason)
        return
    first_wait = dt.timedelta(seconds=settings.NOTIFICATIONS_RETRY_SECONDS)
    _still_ours(row).update(
        state=OutboxState.PENDING,
        attempts=attempts,
        last_error=reason[:2000],
        lease_until=None,
        next_attempt_at=policy.next_attempt_at(attempts=attempts, now=now, first_wait=first_wait),
    )


def release(rows, *, now) -> None:
    """Hand back rows this worker claimed but did not try (it ran out of time): due at once."""
    for row in rows:
        _still_ours(row).update(state=OutboxState.PENDING, lease_until=None, next_attempt_at=now)


def describe_failure(exc: Exception) -> tuple[bool, str]:
    """(permanent?, a reason staff can read) for an exception raised while sending."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        reason = "; ".join(f"{addr} refused: {code} {_text(msg)}" for addr, (code, msg) in exc.recipients.items())
        return policy.is_permanent_smtp_failure(codes), reason
    if isinstance(exc, smtplib.SMTPResponseException):
        return policy.is_permanent_smtp_failure([exc.smtp_code]), f"Mail server said {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, ValueError):  # a malformed address or header never gets better
        return True, f"The message could not be built: {exc}"
    return False, f"Could not reach the mail server ({type(exc).__name__}: {exc})"


def _text(message) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)


def breaks_connection(exc: Exception) -> bool:
    """After these the SMTP session is unusable; a refusal (4xx/5xx reply) leaves it open."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421  # "service closing transmission channel"
    return not isinstance(exc, smtplib.SMTPRecipientsRefused | ValueError)


def as_email(row) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        to=[row.recipient_email],
        cc=list(row.cc),
        headers={"Message-ID": row.message_id},
    )
    if row.body_html:
        email.attach_alternative(row.body_html, "text/html")
    return email


def deliver(ids, *, now) -> int:
    """Send the due rows among `ids`, a batch at a time. Returns how many were sent.

    Safe to run twice with the same ids: a row already sent, or held by another worker, is skipped.
    """
    ids, size, sent = list(ids), batch_size(), 0
    for start in range(0, max(len(ids), 1), size):
        # Each batch's lease starts when it is claimed, not when the task started.
        sent += deliver_batch(ids[start : start + size], now=now if start == 0 else timezone.now())
    return sent


def deliver_batch(ids, *, now) -> int:
    """Claim one batch (topped up with other due rows) and send it over one SMTP connection."""
    rows = claim(ids, now=now)
    if not rows:
        return 0
    # Stop well inside the lease, so the sweep never hands a row we still hold to another worker.
    deadline = time.monotonic() + lease().total_seconds() / 2
    backend = get_connection()
    try:
        with _marks_without_waiting_for_disk():
            return _send_batch(backend, rows, now=now, deadline=deadline)
    finally:
        _close(backend)


@contextmanager
def _marks_without_waiting_for_disk():
    """PostgreSQL synchronous_commit off on this connection while a batch is marked.

    Each mark is its own commit right after the SMTP server accepted (a narrow repeat window);
    waiting for the disk on each would cost ~5 ms a message. Other sessions see the mark at
    once; only a crash of the database server itself could lose the last moment of marks, and
    those rows are then sent again with the same Message-ID: still at-least-once.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _send_batch(backend, rows, *, now, deadline) -> int:
    sent = 0
    for index, row in enumerate(rows):
        if time.monotonic() > deadline:
            release(rows[index:], now=now)
            break
        try:
            backend.open()
        except Exception as exc:  # noqa: BLE001 - the server is down: every row waits and says why
            _connection_failed(rows[index:], exc, now=now)
            break
        if _send_one(backend, row, now=now):
            sent += 1
    return sent


def raw_message(row) -> bytes:
    """The message as sent, but for its Date header (stamped_now() adds it at each try).

    The same bytes Django's message().as_bytes() gives, about twice as fast (a mass mailing
    builds one per family): the multipart boundary is chosen here, so the generator does not
    compile a new regular expression per message to check its random one, and plain short
    headers are written as they are instead of through the folding machinery.
    """
    message = as_email(row).message()
    del message["Date"]  # the time it is sent, not the time it was queued: stamped_now()
    if message.is_multipart():
        message.set_boundary(_boundary(row.body_text, row.body_html))
    out = BytesIO()
    _Generator(out, mangle_from_=False).flatten(message, linesep="\r\n")
    return out.getvalue()


def _boundary(*texts) -> str:
    """A random multipart boundary, like the email package's, that no part's text contains
    (quoted-printable and base64 parts cannot contain it: '=' is escaped or padding there)."""
    while True:
        boundary = "=" * 15 + secrets.token_hex(16) + "=="
        if not any(boundary in text for text in texts):
            return boundary


# A header line the folding would leave exactly as it is: printable ASCII, single line, no
# leading or trailing space, short enough never to fold (RFC 5322's 78, with room to spare).
_PLAIN_HEADER = re.compile(r"[!-~](?:[ !-~]*[!-~])?")
_PLAIN_HEADER_MAX = 76


class _Generator(BytesGenerator):
    def _write_headers(self, msg):
        for name, value in msg.raw_items():
            if isinstance(value, str) and len(name) + 2 + len(value) <= _PLAIN_HEADER_MAX and _PLAIN_HEADER.fullmatch(value):
                self._fp.write(f"{name}: {value}{self._NL}".encode("ascii"))
            else:
                self._fp.write(self.policy.fold_binary(name, value))
        self.write(self._NL)


_DATE_HEADER = re.compile(rb"^Date:[^\r\n]*\r\n", re.IGNORECASE | re.MULTILINE)


def stamped_now(raw: bytes) -> bytes:
    """The stored bytes with a Date header of this moment (RFC 5322 3.6.1: "the date and time at
    which the creator of the message indicated that the message was complete and ready to enter
    the mail delivery system"): a message retried hours later says when it really went.
    Rows written before the Date was left out carry the old one: it is replaced."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    head = _DATE_HEADER.sub(b"", head + b"\r\n", count=1)
    date = format_datetime(timezone.now().astimezone(dt.UTC).replace(microsecond=0)).encode("ascii")
    return b"Date: " + date + b"\r\n" + head[:-2] + separator + body


def _send(backend, row) -> int:
    """Send one row; 1 if the server accepted it. SMTP gets the prebuilt bytes (no MIME work in the
    worker); other backends (console, file, tests) get the EmailMessage (Django dates it as it builds it)."""
    if isinstance(backend, SMTPBackend) and row.raw_message:
        data = stamped_now(bytes(row.raw_message))
        refused = backend.connection.sendmail(_from_address(), [row.recipient_email, *row.cc], data)
        if row.recipient_email in refused:  # a copy may be refused alone; the recipient may not
            raise smtplib.SMTPRecipientsRefused({row.recipient_email: refused[row.recipient_email]})
        return 1
    return backend.send_messages([as_email(row)])


@functools.cache
def _from_address() -> str:
    return sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)


def _send_one(backend, row, *, now) -> bool:
    try:
        accepted = _send(backend, row)
    except Exception as exc:  # noqa: BLE001 - recorded on the row for staff to see
        permanent, reason = describe_failure(exc)
        mark_failed(row, reason=reason, permanent=permanent, now=now)
        if breaks_connection(exc):
            _close(backend)
        return False
    if not accepted:
        mark_failed(row, reason="The mail server did not accept the message.", permanent=False, now=now)
        return False
    mark_sent(row)
    return True


def _close(backend) -> None:
    """Close the SMTP session; a socket that is already dead must not fail the batch."""
    try:
        backend.close()
    except Exception:  # noqa: BLE001, S110 - nothing left to do with a broken connection
        backend.connection = None


def _connection_failed(rows, exc, *, now) -> None:
    _, reason = describe_failure(exc)
    log.warning("Mail server unreachable; %s outbox messages wait: %s", len(rows), reason)
    for row in rows:
        mark_failed(row, reason=reason, permanent=False, now=now)


def due_ids(*, now, limit: int) -> list[int]:
    """Rows left waiting (broker was down, retry is due) or held past their lease (worker died)."""
    return list(OutboxMessage.objects.due(now).order_by("pk").values_list("pk", flat=True)[:limit])
