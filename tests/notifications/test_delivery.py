"""Delivery: claim with a lease, one SMTP connection per batch, retry temporary failures with
backoff, record permanent ones, sweep what was left behind. SMTP is scripted (tests/notifications/fakes.py)."""

import datetime as dt
import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from notifications import delivery
from notifications.models import OutboxMessage, OutboxState
from notifications.tasks import deliver_outbox, sweep_outbox

from .fakes import refused

pytestmark = pytest.mark.django_db


def _row(n, **fields):
    fields.setdefault("next_attempt_at", fields.pop("due_at", None))
    return OutboxMessage.objects.create(
        kind="join-example",
        recipient_email=f"parent{n}@example.test",
        subject=f"Notice {n}",
        body_text="Hello",
        body_html="<p>Hello</p>",
        dedupe_key=f"row:{n}",
        **fields,
    )


def test_a_batch_goes_over_one_connection_each_with_its_own_message_id(smtp, now):
    rows = [_row(n) for n in range(5)]

    sent = delivery.deliver([r.pk for r in rows], now=now)

    assert sent == 5
    assert smtp.opened == 1
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(r.message_id for r in rows)
    assert all(m.alternatives for m in mail.outbox)
    assert set(OutboxMessage.objects.values_list("state", "attempts", "lease_until")) == {(OutboxState.SENT, 1, None)}


def test_running_the_same_task_twice_sends_nothing_twice(smtp):
    rows = [_row(n) for n in range(3)]
    ids = [r.pk for r in rows]

    deliver_outbox.delay(ids)
    deliver_outbox.delay(ids)

    assert len(mail.outbox) == 3


def test_a_task_tops_up_its_batch_with_other_due_rows(smtp, settings, now):
    settings.NOTIFICATIONS_BATCH_SIZE = 4
    rows = [_row(n) for n in range(6)]

    delivery.deliver([rows[5].pk], now=now)

    sent = set(OutboxMessage.objects.filter(state=OutboxState.SENT).values_list("pk", flat=True))
    assert len(sent) == 4
    assert rows[5].pk in sent


@pytest.mark.parametrize(
    "failure",
    [
        refused(450, "parent0@example.test", b"Mailbox busy"),
        smtplib.SMTPDataError(451, b"Try again later"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        TimeoutError("timed out"),
    ],
    ids=["4xx recipient", "4xx data", "disconnected", "timeout"],
)
def test_temporary_failures_wait_and_retry_with_backoff(smtp, settings, now, failure):
    settings.NOTIFICATIONS_RETRY_SECONDS = 60
    row = _row(0)
    smtp.failures[row.recipient_email] = failure

    delivery.deliver([row.pk], now=now)

    row.refresh_from_db()
    assert row.state == OutboxState.PENDING
    assert row.attempts == 1
    assert row.last_error
    assert row.next_attempt_at == now + dt.timedelta(seconds=60)
    assert row.lease_until is None


def test_connection_refused_leaves_the_whole_batch_waiting_with_the_reason(smtp, now):
    rows = [_row(n) for n in range(3)]
    smtp.refuse_connections = ConnectionRefusedError(111, "Connection refused")

    delivery.deliver([r.pk for r in rows], now=now)

    states = list(OutboxMessage.objects.values_list("state", "attempts", "last_error"))
    assert all(s == OutboxState.PENDING and a == 1 and "Connection refused" in e for s, a, e in states)


def test_a_refused_recipient_fails_for_good_with_the_reason_and_the_batch_goes_on(smtp, now):
    bad, good = _row(0), _row(1)
    smtp.failures[bad.recipient_email] = refused(550, bad.recipient_email, b"No such user")

    delivery.deliver([bad.pk, good.pk], now=now)

    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.state == OutboxState.FAILED
    assert "550 No such user" in bad.last_error
    assert good.state == OutboxState.SENT
    assert smtp.opened == 1


def test_the_second_retry_waits_twice_as_long(smtp, settings, now):
    settings.NOTIFICATIONS_RETRY_SECONDS = 60
    row = _row(0)
    smtp.failures[row.recipient_email] = refused(451, row.recipient_email)
    delivery.deliver([row.pk], now=now)
    later = now + dt.timedelta(seconds=61)

    delivery.deliver([row.pk], now=later)

    row.refresh_from_db()
    assert row.attempts == 2
    assert row.next_attempt_at == later + dt.timedelta(seconds=120)


def test_a_row_waiting_for_its_retry_is_not_sent_early(smtp, now):
    row = _row(0, due_at=now + dt.timedelta(minutes=5))

    delivery.deliver([row.pk], now=now)

    assert mail.outbox == []


def test_temporary_failures_give_up_after_the_last_attempt(smtp, settings, now):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    row = _row(0, attempts=2)
    smtp.failures[row.recipient_email] = refused(451, row.recipient_email)

    delivery.deliver([row.pk], now=now)

    row.refresh_from_db()
    assert row.state == OutboxState.FAILED
    assert row.last_error.startswith("Gave up after 3 attempts")


def test_a_worker_whose_lease_ran_out_does_not_overwrite_the_new_holder(smtp, now):
    row = _row(0)
    [stale] = delivery.claim([row.pk], now=now)
    [fresh] = delivery.claim([row.pk], now=now + delivery.lease() + dt.timedelta(seconds=1))

    delivery.mark_failed(stale, reason="late", permanent=True, now=now)
    delivery.mark_sent(fresh)

    row.refresh_from_db()
    assert row.state == OutboxState.SENT
    assert row.last_error == ""


def test_a_row_under_a_live_lease_is_not_claimed_again(now):
    row = _row(0)
    delivery.claim([row.pk], now=now)

    assert delivery.claim([row.pk], now=now + dt.timedelta(seconds=10)) == []


def test_rows_not_tried_before_the_deadline_are_handed_back(smtp, settings, now, monkeypatch):
    rows = [_row(n) for n in range(3)]
    clock = iter([0.0, 0.0, 10_000.0, 10_000.0])
    monkeypatch.setattr("notifications.delivery.time.monotonic", lambda: next(clock))

    delivery.deliver([r.pk for r in rows], now=now)

    states = dict(OutboxMessage.objects.values_list("pk", "state"))
    assert states[rows[0].pk] == OutboxState.SENT
    assert {states[rows[1].pk], states[rows[2].pk]} == {OutboxState.PENDING}
    assert OutboxMessage.objects.due(now).count() == 2


def test_the_sweep_requeues_rows_left_waiting_or_with_an_expired_lease(smtp, now):
    waiting = _row(0, due_at=now - dt.timedelta(minutes=1))
    abandoned = _row(1, state=OutboxState.SENDING, lease_until=now - dt.timedelta(seconds=1))
    held = _row(2, state=OutboxState.SENDING, lease_until=now + dt.timedelta(minutes=4))
    backing_off = _row(3, due_at=now + dt.timedelta(minutes=4), attempts=1)
    failed = _row(4, state=OutboxState.FAILED)

    swept = sweep_outbox.delay().get()

    assert swept == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([waiting.recipient_email, abandoned.recipient_email])
    for row in (held, backing_off, failed):
        assert OutboxMessage.objects.get(pk=row.pk).state == row.state


def test_rows_written_before_next_attempt_at_existed_are_still_due(now):
    row = _row(0)

    assert list(OutboxMessage.objects.due(now)) == [row]


@pytest.fixture
def smtp_server(settings):
    """Django's real SMTP backend over a recording connection (the path a production worker takes)."""
    from .fakes import RecordingSMTPBackend

    settings.EMAIL_BACKEND = "tests.notifications.fakes.RecordingSMTPBackend"
    RecordingSMTPBackend.refuse, RecordingSMTPBackend.connections = {}, []
    return RecordingSMTPBackend


def _notified(n, **kwargs):
    from notifications.services import notify

    with mock.patch("notifications.services.publish"):
        return notify(to=f"parent{n}@example.test", kind="join-example", context={}, dedupe_key=f"raw:{n}", **kwargs)


def test_the_worker_sends_the_bytes_built_when_the_row_was_written(smtp_server):
    rows = [_notified(n) for n in range(3)]

    delivery.deliver([r.pk for r in rows], now=timezone.now())

    [connection] = smtp_server.connections
    assert [to for _, to, _ in connection.sent] == [[r.recipient_email] for r in rows]
    for row, (_, _, data) in zip(rows, connection.sent, strict=True):
        row.refresh_from_db()
        head, _, rest = data.partition(b"\r\n")
        assert head.startswith(b"Date: ")  # stamped as it goes: tests/notifications/test_identity.py
        assert rest == bytes(row.raw_message)
        assert f"Message-ID: {row.message_id}".encode() in data
        assert row.state == OutboxState.SENT


def test_a_refused_copy_does_not_stop_the_message_but_a_refused_recipient_does(smtp_server):
    copied = _notified(0, cc=["colleague@example.test"])
    refused = _notified(1)
    smtp_server.refuse = {"colleague@example.test": (550, b"No such user"), refused.recipient_email: (550, b"No such user")}

    delivery.deliver([copied.pk, refused.pk], now=timezone.now())

    copied.refresh_from_db()
    refused.refresh_from_db()
    assert copied.state == OutboxState.SENT
    assert refused.state == OutboxState.FAILED
    assert "550 No such user" in refused.last_error


@pytest.mark.parametrize(
    ("subject", "to", "cc", "html"),
    [
        ("Your child's video calls for the week of 7 December 2026", "parent@example.test", [], "<p>Hi</p>"),
        ("Zoë's calls ✓ this week", "Zoë Parent <zoe@example.test>", ["colleague@example.test"], "<p>Zoë</p>"),
        ("A subject long enough to be folded onto a second line by the email package, " * 2, "p@example.test", [], ""),
        ("two  spaces\tand a tab", "p@example.test", [], "<p>x</p>"),
    ],
)
def test_the_bytes_are_exactly_what_django_would_build(monkeypatch, subject, to, cc, html):
    row = OutboxMessage(
        pk=41,
        kind="join-example",
        recipient_email=to,
        cc=cc,
        subject=subject,
        body_text="Hello --===============\nÀ bientôt",
        body_html=html,
    )
    monkeypatch.setattr("django.core.mail.message.formatdate", lambda **kwargs: "Mon, 07 Dec 2026 09:00:00 -0000")
    monkeypatch.setattr(delivery, "_boundary", lambda *texts: "===============fixed-boundary==")
    expected = delivery.as_email(row).message()
    del expected["Date"]  # added as each try is sent (delivery.stamped_now)
    if expected.is_multipart():
        expected.set_boundary("===============fixed-boundary==")

    assert delivery.raw_message(row) == expected.as_bytes(linesep="\r\n")


def test_a_boundary_never_appears_in_the_text_it_separates(monkeypatch):
    tokens = iter(["a" * 32, "b" * 32])
    monkeypatch.setattr(delivery.secrets, "token_hex", lambda n: next(tokens))

    boundary = delivery._boundary(f"quoting ={'=' * 14}{'a' * 32}== here", "")

    assert boundary == "=" * 15 + "b" * 32 + "=="
