"""An email's identity as the recipient's mailbox sees it, read with Python's strict email parser:
a Message-ID unique across schools and restored backups, at the portal's own domain, kept across
retries; and a Date that is the moment the message really went."""

import datetime as dt
import email
import email.policy
import email.utils
from unittest import mock

import pytest
import time_machine
from django.db import connection

from notifications import delivery
from notifications.models import OutboxMessage, OutboxState
from notifications.services import notify

pytestmark = pytest.mark.django_db

QUEUED = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def smtp_server(settings):
    """Django's real SMTP backend over a recording connection (the path a production worker takes)."""
    from .fakes import RecordingSMTPBackend

    settings.EMAIL_BACKEND = "tests.notifications.fakes.RecordingSMTPBackend"
    RecordingSMTPBackend.refuse, RecordingSMTPBackend.connections = {}, []
    return RecordingSMTPBackend


def _notified(key, to="parent@example.test"):
    with mock.patch("notifications.services.publish"):
        return notify(to=to, kind="join-example", context={}, dedupe_key=key)


def _parsed(data: bytes):
    message = email.message_from_bytes(data, policy=email.policy.strict)
    assert message.defects == []
    return message


def _sent(smtp_server) -> list[bytes]:
    return [data for conn in smtp_server.connections for _, _, data in conn.sent]


def _send_all(now):
    return delivery.deliver(list(OutboxMessage.objects.values_list("pk", flat=True)), now=now)


def test_the_message_id_is_at_the_portals_own_domain(smtp_server, settings):
    settings.PORTAL_BASE_URL = "https://Portal.Ernesford-Grange.sch.uk"
    row = _notified("a")

    _send_all(dt.datetime.now(dt.UTC))

    header = _parsed(_sent(smtp_server)[0])["Message-ID"]
    assert header.defects == ()
    assert str(header).strip() == row.message_id  # a long domain folds the line: legal
    local, _, domain = str(header).strip().strip("<>").partition("@")
    assert domain == "portal.ernesford-grange.sch.uk"
    assert len(local) >= 32  # a random part, not the row's id alone


def test_two_schools_portals_give_their_first_messages_different_ids(settings):
    """Each install's rows count from 1; the Message-ID must not follow the count."""
    first = _notified("install-1")
    OutboxMessage.objects.all().delete()
    _restart_ids_at(first.pk)
    second = _notified("install-2")

    assert second.pk == first.pk
    assert second.message_id != first.message_id


def test_a_restored_backup_does_not_reuse_a_message_id(smtp_server):
    """After a restore, the rows written since the backup are gone and their ids are handed out
    again: the new join email must not look like a copy of the lost one."""
    before_restore = _notified("join:call-7:v1")
    _send_all(dt.datetime.now(dt.UTC))
    lost_id = _parsed(_sent(smtp_server)[0])["Message-ID"]

    OutboxMessage.objects.filter(pk=before_restore.pk).delete()  # the restore
    _restart_ids_at(before_restore.pk)
    after_restore = _notified("join:call-7:v1")
    _send_all(dt.datetime.now(dt.UTC))

    assert after_restore.pk == before_restore.pk
    assert _parsed(_sent(smtp_server)[1])["Message-ID"] != lost_id


def test_a_retry_keeps_the_message_id_and_is_dated_when_it_really_went(smtp_server, settings):
    settings.NOTIFICATIONS_RETRY_SECONDS = 60
    with time_machine.travel(QUEUED, tick=False):
        row = _notified("retried")
    smtp_server.refuse = {row.recipient_email: (451, b"Greylisted, try later")}
    first_try = QUEUED + dt.timedelta(minutes=1)
    with time_machine.travel(first_try, tick=False):
        assert delivery.deliver([row.pk], now=first_try) == 0
    row.refresh_from_db()
    assert row.state == OutboxState.PENDING

    smtp_server.refuse = {}
    sent_at = QUEUED + dt.timedelta(hours=3, minutes=17, seconds=5)
    with time_machine.travel(sent_at, tick=False):
        assert delivery.deliver([row.pk], now=sent_at) == 1

    [data] = _sent(smtp_server)
    message = _parsed(data)
    assert str(message["Message-ID"]).strip() == row.message_id
    assert message["Date"].datetime == sent_at
    assert len(message.get_all("Date")) == 1


def test_a_row_written_before_the_change_gets_its_old_date_replaced(smtp_server):
    row = _notified("legacy")
    old = row.raw_message.replace(b"\r\n", b"\r\nDate: Mon, 07 Dec 2026 08:00:00 +0000\r\n", 1)
    OutboxMessage.objects.filter(pk=row.pk).update(raw_message=old)
    sent_at = dt.datetime(2026, 12, 8, 14, 30, tzinfo=dt.UTC)

    with time_machine.travel(sent_at, tick=False):
        delivery.deliver([row.pk], now=sent_at)

    message = _parsed(_sent(smtp_server)[0])
    assert message.get_all("Date") == [email.utils.format_datetime(sent_at)]


def test_the_dated_message_is_still_one_whole_message(smtp_server):
    """The stamped bytes are still one well-formed message (headers, blank line, both parts)."""
    row = _notified("whole")
    with time_machine.travel(QUEUED, tick=False):
        delivery.deliver([row.pk], now=QUEUED)

    message = _parsed(_sent(smtp_server)[0])
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["To"] == row.recipient_email


def _restart_ids_at(pk: int) -> None:
    """What a fresh install or a restore does to the id sequence: the next row gets `pk` again."""
    table = OutboxMessage._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, pk])
        else:
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [pk - 1, table])
