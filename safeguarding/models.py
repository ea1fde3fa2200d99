"""Safeguarding concerns and their chronology (SG-1..SG-5).

Every row here except DslAbsence is append-only: save() refuses to change an existing row,
delete() always refuses, and on PostgreSQL a trigger refuses UPDATE and DELETE as well
(migration 0002), so not even a bulk update or a console session edits a concern away.
A correction is a new entry pointing at the one it corrects.

Concern text is encrypted at rest (django-fernet-encrypted-fields, key from
PORTAL_FIELD_ENCRYPTION_KEY); str() of any row never includes it, because the audit log
and the admin show str().
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from encrypted_fields.fields import EncryptedTextField

from toolkit.append_only import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet  # noqa: F401 - callers catch it from here

from .choices import AccessPurpose, ActionKind, AlertReason, ConcernKind, EntryKind, Outcome


class SafeguardingQuerySet(AppendOnlyQuerySet):
    def rewrite_ciphertext(self, **kwargs) -> int:
        """Only for key rotation: store the same plain text under the newest key."""
        return models.QuerySet.update(self, **kwargs)


class SafeguardingRecord(AppendOnlyModel):
    """Never changed, never deleted (SG-4); text re-encrypted only by key rotation."""

    append_only_rule = "SG-4"

    objects = SafeguardingQuerySet.as_manager()

    class Meta:
        abstract = True


def new_reference() -> str:
    """A reference the reporter can quote; random, so it says nothing about how many exist."""
    return f"SC-{secrets.token_hex(4).upper()}"


class Concern(SafeguardingRecord):
    """What a member of staff saw, heard or was told (SG-1). Read only by the DSL team (SG-3)."""

    reference = models.CharField(max_length=20, unique=True, default=new_reference, editable=False)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="concerns_reported")
    raised_at = models.DateTimeField()
    happened_at = models.DateTimeField("when it happened")
    kind = models.CharField(max_length=20, choices=ConcernKind.choices)
    pupils = models.ManyToManyField("school.Pupil", through="ConcernPupil", related_name="safeguarding_concerns")
    what_happened = EncryptedTextField()
    childs_words = EncryptedTextField("the child's own words", null=True, blank=True)
    action_taken = EncryptedTextField("what was done straight away")
    # Plain ids, not foreign keys: the calls and session-log apps link here without this app
    # depending on their migrations.
    source_call_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_log_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["-raised_at"])]

    def __str__(self):
        return f"Concern {self.reference}"


class ConcernPupil(SafeguardingRecord):
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="concern_pupils")
    pupil = models.ForeignKey("school.Pupil", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["concern", "pupil"], name="one_row_per_concern_pupil")]

    def __str__(self):
        return f"Pupil {self.pupil_id} in concern {self.concern_id}"


class ConcernEntry(SafeguardingRecord):
    """One step of a concern's chronology (SG-4): who did what, and when."""

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    action = models.CharField(max_length=20, choices=ActionKind.choices, blank=True, default="")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, default="")
    text = EncryptedTextField(null=True, blank=True)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")
    # Empty for the portal's own entries (escalation).
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField()
    # When an action actually took place, if earlier than it was written down (a phone call at
    # 16:10 recorded the next morning). Empty: it happened when it was recorded.
    happened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "chronology entry"
        verbose_name_plural = "chronology entries"
        ordering = ["recorded_at", "pk"]
        constraints = [
            # Two DSLs acknowledging at once: the database keeps exactly one.
            models.UniqueConstraint(fields=["concern"], condition=Q(kind="acknowledged"), name="one_acknowledgement_per_concern"),
            models.UniqueConstraint(fields=["concern"], condition=Q(kind="closed"), name="one_closure_per_concern"),
            models.UniqueConstraint(fields=["concern"], condition=Q(kind="escalated"), name="one_escalation_per_concern"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on concern {self.concern_id}"


class ConcernAccess(SafeguardingRecord):
    """Someone was shown a concern's content (SG-3). The DSL team sees these rows."""

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    purpose = models.CharField(max_length=20, choices=AccessPurpose.choices, default=AccessPurpose.OPENED)

    # Every reading of a concern adds a row, so counting these writes would throw away every cached
    # page in the school each time the DSL opens a concern. Pages that show them draw them on every
    # request (the concern page's access record is a live part; the access log and the audit viewer
    # are never kept): toolkit/versions.py.
    changes_cached_pages = False

    class Meta:
        verbose_name = "concern access"
        ordering = ["-at", "-pk"]
        # The concern page shows a concern's latest reads; the access log pages through them all.
        indexes = [models.Index(fields=["concern", "-at", "-id"]), models.Index(fields=["-at", "-id"])]

    def __str__(self):
        return f"{self.get_purpose_display()}: concern {self.concern_id} by user {self.user_id}"


class ConcernAlert(SafeguardingRecord):
    """Who was alerted about a concern and why (SG-2, SG-5). The email itself carries no details."""

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="alerts")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=AlertReason.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"Alert ({self.reason}) for concern {self.concern_id} to user {self.recipient_id}"


class PupilFileExport(SafeguardingRecord):
    """A pupil's safeguarding file was exported, e.g. for the receiving school."""

    pupil = models.ForeignKey("school.Pupil", on_delete=models.PROTECT, related_name="+")
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    exported_at = models.DateTimeField()
    concern_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-exported_at", "-pk"]

    def __str__(self):
        return f"Safeguarding file of pupil {self.pupil_id} exported"


class DslAbsenceQuerySet(models.QuerySet):
    def covering(self, now):
        """SG-2: the periods `now` falls in, [start, end): a DSL is back at the end's minute."""
        return self.filter(starts_at__lte=now, ends_at__gt=now)


class DslAbsence(models.Model):
    """A period when a member of the DSL team cannot take concerns (SG-2)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dsl_absences")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    objects = DslAbsenceQuerySet.as_manager()

    class Meta:
        verbose_name = "DSL unavailability"
        verbose_name_plural = "DSL unavailability"
        ordering = ["-starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="absence_ends_after_start")]

    def __str__(self):
        return f"{self.user} unavailable {self.starts_at:%d/%m/%Y %H:%M} to {self.ends_at:%d/%m/%Y %H:%M}"
