"""Development email: print to the console and keep a copy in EMAIL_FILE_PATH."""

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class ConsoleAndFileBackend(BaseEmailBackend):
    def __init__(self, *args, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self._console = ConsoleBackend(fail_silently=fail_silently)
        self._file = FileBackend(fail_silently=fail_silently)

    def send_messages(self, email_messages):
        self._file.send_messages(email_messages)
        return self._console.send_messages(email_messages)
