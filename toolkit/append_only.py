"""Records the policy keeps forever (consent history, safeguarding chronology): one mechanism.

save() on an existing row, delete(), and bulk update() or delete() all raise AppendOnlyError, so
no code path rewrites history by accident. Each app's PostgreSQL trigger also refuses UPDATE and
DELETE, for code that bypasses the ORM; retention is the one documented path that removes rows
(QuerySet._raw_delete inside the app's retention opening).
"""

from django.db import models


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove a record the policy keeps forever."""


def _refusal(model, what: str) -> str:
    rule = f" ({model.append_only_rule})" if model.append_only_rule else ""
    return f"{model._meta.verbose_name.capitalize()} records are append-only: they are never {what}{rule}."


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(_refusal(self.model, "changed"))

    def delete(self):
        raise AppendOnlyError(_refusal(self.model, "deleted"))


class AppendOnlyModel(models.Model):
    # The policy rule that keeps these rows, named in the refusal ("CON-5", "SG-4").
    append_only_rule = ""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(_refusal(self, "changed"))
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(_refusal(self, "deleted"))
