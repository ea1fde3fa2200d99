"""A stand-in for the SMTP server (the outside world): scripted refusals per address, and a
count of connections opened, so tests see one connection per batch."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend


class ScriptedSMTPBackend(LocmemBackend):
    """Delivers to django.core.mail.outbox unless `failures` says how this address is refused."""

    failures: dict = {}  # address -> exception to raise when sending to it
    refuse_connections: Exception | None = None
    opened = 0

    def open(self):
        if ScriptedSMTPBackend.refuse_connections is not None:
            raise ScriptedSMTPBackend.refuse_connections
        if not getattr(self, "connection", None):
            ScriptedSMTPBackend.opened += 1
            self.connection = object()
            return True
        return False

    def close(self):
        self.connection = None

    def send_messages(self, messages):
        for message in messages:
            failure = ScriptedSMTPBackend.failures.get(message.to[0])
            if failure is not None:
                raise failure
        return super().send_messages(messages)

    @classmethod
    def reset(cls):
        cls.failures, cls.refuse_connections, cls.opened = {}, None, 0


def refused(code: int, address: str, text: bytes = b"Mailbox unavailable") -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused({address: (code, text)})


class FakeSMTPConnection:
    """Stands in for smtplib.SMTP: records sendmail calls; `refuse` maps address -> (code, text)."""

    def __init__(self, refuse):
        self.refuse, self.sent = refuse, []

    def sendmail(self, from_addr, to_addrs, msg):
        refused = {a: self.refuse[a] for a in to_addrs if a in self.refuse}
        if len(refused) == len(to_addrs):
            raise smtplib.SMTPRecipientsRefused(refused)
        self.sent.append((from_addr, list(to_addrs), msg))
        return refused

    def quit(self):
        pass


class RecordingSMTPBackend(SMTPBackend):
    """Django's SMTP backend with the socket replaced: the worker's raw-bytes path, without a server."""

    refuse: dict = {}
    connections: list = []

    def open(self):
        if self.connection is None:
            self.connection = FakeSMTPConnection(RecordingSMTPBackend.refuse)
            RecordingSMTPBackend.connections.append(self.connection)
            return True
        return False
