"""A stand-in for the SMTP server (the outside world): scripted refusals per address, and a
count of connections opened, so tests see one connection per batch."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


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
