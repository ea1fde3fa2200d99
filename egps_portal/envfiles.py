"""Secrets from files: every setting's variable NAME may instead be given as NAME_FILE, the path
of a file holding the value (Docker Compose `secrets:`, Kubernetes secret volumes, systemd
credentials). Secrets then never sit in the process environment, `docker inspect` or a `.env`
file next to the compose file.

django-environ's FileAwareEnv does the lookup; this mapping adds what an operator expects of it:
the trailing newline an editor or `echo` leaves is dropped (as the postgres image's own `*_FILE`
support does, so one file serves both), a missing or unreadable file names the variable instead
of a bare traceback, and setting both NAME and NAME_FILE is an error rather than a silent choice.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from environ.fileaware_mapping import FileAwareMapping


class SecretFileMapping(FileAwareMapping):
    def __getitem__(self, key):
        path = self.env.get(f"{key}_FILE")
        if not path:
            return self.env[key]
        if key in self.env:
            raise ImproperlyConfigured(f"Set {key} or {key}_FILE, not both.")
        try:
            value = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ImproperlyConfigured(f"{key}_FILE={path} cannot be read: {exc.strerror}.") from exc
        return value.rstrip("\r\n")


class PortalEnv(environ.Env):
    # No cache: a rotated secret file is read again the next time the process starts settings.
    ENVIRON = SecretFileMapping(cache=False)
