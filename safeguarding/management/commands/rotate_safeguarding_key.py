"""Re-encrypt every safeguarding text under the newest key (docs/safeguarding.md).

Run after putting the new key first in PORTAL_FIELD_ENCRYPTION_KEY (old keys after it). Only
ciphertext changes: the plain text is the same, and nothing else in the row is touched. If any
value cannot be decrypted with the keys given, nothing at all is changed.
"""

from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from safeguarding.models import Concern, ConcernEntry

ENCRYPTED = {Concern: ["what_happened", "childs_words", "action_taken"], ConcernEntry: ["text"]}


def _plain_rows(model, names):
    """Each row's id and plain values, decrypted here so a wrong key stops the command."""
    fields = [model._meta.get_field(name) for name in names]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        # Table and column names come from the model and are quoted; there is no user input.
        cursor.execute(f"SELECT id, {columns} FROM {table}")  # noqa: S608  # nosec B608
        for pk, *raw in cursor.fetchall():
            try:
                yield pk, {f.name: f.f.decrypt(v.encode()).decode() if v else None for f, v in zip(fields, raw, strict=True)}
            except InvalidToken as exc:
                raise CommandError(
                    f"{model.__name__} {pk} cannot be decrypted with the configured keys; nothing changed."
                ) from exc


class Command(BaseCommand):
    help = "Re-encrypt safeguarding text with the first key of PORTAL_FIELD_ENCRYPTION_KEY."

    @transaction.atomic
    def handle(self, *args, **options):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Lets the append-only trigger pass UPDATEs for this transaction only.
                cursor.execute("SET LOCAL egps.safeguarding_key_rotation = 'on'")
        for model, names in ENCRYPTED.items():
            count = 0
            for pk, values in list(_plain_rows(model, names)):
                count += model.objects.filter(pk=pk).rewrite_ciphertext(**values)
            self.stdout.write(f"{model.__name__}: {count} rows re-encrypted")
