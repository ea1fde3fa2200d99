"""Retention (GOV-4): which records are past their period, and removing them.

The schedule is settings.PORTAL_RETENTION (defaults and reasons: docs/governance.md).
Each record type below finds its expired rows with one database filter whose cutoff comes from
governance.policy, so the dry run (`manage.py retention --dry-run`) and the sweep agree exactly.
Retention sits on top of every app whose rows it removes (docs/architecture.md).

Append-only tables (consent decisions, safeguarding chronology) refuse delete() on purpose.
Retention is the one documented path that removes their rows: it uses QuerySet._raw_delete,
which issues a plain DELETE. On PostgreSQL those tables also carry triggers refusing DELETE:
consent and safeguarding each open their trigger for DELETE only inside their own
retention.retention_delete_allowed(), which retention uses; if a database still refuses, the
rows are reported as "kept (the database refused)" rather than weakened.
"""

import datetime as dt
from dataclasses import dataclass

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone

from calls.models import Call, JoinLink
from consent import retention as consent_retention
from consent.models import AcceptableUseAcknowledgement, ConsentDecision
from governance import policy
from notifications.models import OutboxMessage
from safeguarding import retention as safeguarding_retention
from safeguarding.models import Concern, ConcernAccess, ConcernAlert, ConcernEntry, ConcernPupil
from sessionlogs.models import SessionLog, WelfareContact

DELETED = "deleted"
KEPT = "kept"


def schedule() -> dict:
    return settings.PORTAL_RETENTION


@dataclass(frozen=True)
class Candidate:
    record_type: str
    model_label: str
    pk: int
    dated: object
    description: str


class RecordType:
    """One kind of record and its period. Subclasses say how to find and describe expired rows."""

    key = ""
    # The schedule entry in settings.PORTAL_RETENTION (several types may share one).
    setting = ""
    label = ""
    model_class = None  # the model whose rows expire
    date_field = ""
    append_only = False

    def model(self):
        return self.model_class

    @property
    def model_label(self) -> str:
        return self.model_class._meta.label

    def period(self) -> dict:
        return schedule()[self.setting or self.key]

    def expired(self, now):
        """The expired rows of this type."""
        return self.expired_in(self.model(), now)

    def expired_in(self, model, now):
        cutoff = policy.retention_cutoff(now=now, years=self.period()["years"])
        return model._default_manager.filter(**{f"{self.date_field}__lt": cutoff})

    def describe(self, row) -> str:
        return str(row)

    def candidates(self, now) -> list[Candidate]:
        rows = self.expired(now)
        return [
            Candidate(self.key, self.model_label, row.pk, self.dated(row), self.describe(row))
            for row in rows.order_by("pk").iterator(chunk_size=500)
        ]

    def dated(self, row):
        return getattr(row, self.date_field)

    def remove(self, now) -> tuple[str, int, str]:
        rows = self.expired(now)
        ids = list(rows.values_list("pk", flat=True))
        if not ids:
            return DELETED, 0, ""
        try:
            # Removal itself writes no audit entry (a "deleted" entry would copy the data
            # back into the audit history); the RetentionRun report is the record.
            with transaction.atomic(), disable_auditlog():
                self.delete_rows(self.model(), ids)
                _forget_audit_history(self.model(), ids)
        except DatabaseError as error:
            # PostgreSQL's append-only triggers (or a protecting foreign key) refuse.
            return KEPT, len(ids), f"the database refused: {str(error).splitlines()[0][:200]}"
        return DELETED, len(ids), ""

    def delete_rows(self, model, ids):
        model._default_manager.filter(pk__in=ids).delete()


def _forget_audit_history(model, ids):
    """The audit entries of a removed record hold its data too: they go with it."""
    content_type = ContentType.objects.get_for_model(model)
    LogEntry.objects.filter(content_type=content_type, object_pk__in=[str(pk) for pk in ids]).delete()


def _raw_delete(model, ids):
    """The documented bypass for append-only tables: one DELETE, no delete() or signals."""
    query = model._base_manager.filter(pk__in=ids)
    query._raw_delete(query.db)


class OutboxMessages(RecordType):
    key = "outbox_messages"
    label = "Emails sent by the portal (outbox copies)"
    model_class = OutboxMessage
    date_field = "created_at"

    def describe(self, row):
        return f"{row.kind} email to {row.recipient_email}"


class JoinRecords(RecordType):
    key = "join_records"
    label = "Join links and join attempts"
    model_class = JoinLink
    date_field = "created_at"

    def expired_in(self, model, now):
        # A link goes with its attempts (cascade) once the call itself is past the period.
        cutoff = policy.retention_cutoff(now=now, years=self.period()["years"])
        return model._default_manager.filter(call__ends_at__lt=cutoff)

    def describe(self, row):
        return f"Join link for pupil {row.pupil_id} to call {row.call_id}"


class Calls(RecordType):
    key = "calls"
    label = "Calls, invitations, agreements and approvals"
    model_class = Call
    date_field = "ends_at"

    def describe(self, row):
        return f"{row.get_kind_display()} call {row.pk} ({row.get_status_display()})"


class SessionLogs(RecordType):
    key = "session_logs"
    label = "Session logs"
    model_class = SessionLog
    date_field = "started_at"


class WelfareContacts(RecordType):
    key = "welfare_contacts"
    label = "Welfare contacts (phone calls and home visits)"
    model_class = WelfareContact
    date_field = "contacted_at"

    def expired_in(self, model, now):
        # A DSL's safeguarding follow-up is a safeguarding record: SafeguardingFollowUps keeps it.
        return super().expired_in(model, now).filter(safeguarding_follow_up=False)


class SafeguardingFollowUps(RecordType):
    """A DSL's safeguarding follow-up (issue 16): kept as the concerns are, until the pupil's 25th birthday."""

    key = "safeguarding_follow_ups"
    setting = "safeguarding"
    label = "Safeguarding follow-up contacts"
    model_class = WelfareContact
    date_field = "contacted_at"

    def expired_in(self, model, now):
        born_before = policy.safeguarding_cutoff(today=timezone.localdate(now), until_age=self.period()["until_age"])
        return model._default_manager.filter(safeguarding_follow_up=True, pupil__date_of_birth__lte=born_before)

    def describe(self, row):
        return f"Safeguarding follow-up {row.pk}"  # the head and office see the report: no pupil, no outcome


class ConsentHistory(RecordType):
    key = "consent_history"
    label = "Consent decisions of pupils who have left"
    model_class = ConsentDecision
    date_field = "decided_at"
    append_only = True

    def expired_in(self, model, now):
        years_after_leaving = self.period()["years_after_leaving"]
        left_before = policy.leaver_cutoff(years_after_leaving=years_after_leaving, today=timezone.localdate(now))
        return model._base_manager.filter(pupil__left_on__lte=left_before)

    def describe(self, row):
        return f"{row.get_scope_display()}: {row.get_decision_display()} for pupil {row.pupil_id}"

    def delete_rows(self, model, ids):
        with _consent_retention_switch():
            _raw_delete(model, ids)


def _consent_retention_switch():
    """The consent app's one sanctioned opening in its PostgreSQL trigger, for retention only."""
    return consent_retention.retention_delete_allowed()


def _safeguarding_retention_switch():
    """The safeguarding app's one sanctioned opening in its PostgreSQL trigger, for retention only."""
    return safeguarding_retention.retention_delete_allowed()


class PupilAcknowledgements(ConsentHistory):
    key = "consent_acknowledgements"
    setting = "consent_history"
    label = "Acceptable-use acknowledgements for pupils who have left"
    model_class = AcceptableUseAcknowledgement
    date_field = "acknowledged_at"

    def describe(self, row):
        return f"Acceptable-use acknowledgement for pupil {row.pupil_id}"


class Safeguarding(RecordType):
    """Kept until every pupil named in the concern has had their 25th birthday."""

    key = "safeguarding"
    label = "Safeguarding concerns and their chronology"
    model_class = Concern
    date_field = "raised_at"
    append_only = True
    PARTS = (ConcernAlert, ConcernAccess, ConcernEntry, ConcernPupil)

    def expired_in(self, model, now):
        born_before = policy.safeguarding_cutoff(today=timezone.localdate(now), until_age=self.period()["until_age"])
        young = model._base_manager.filter(concern_pupils__pupil__date_of_birth__gt=born_before)
        return model._base_manager.filter(concern_pupils__isnull=False).exclude(pk__in=young.values("pk")).distinct()

    def describe(self, row):
        return str(row)  # the reference only: never the content

    def delete_rows(self, model, ids):
        with _safeguarding_retention_switch():
            for part in self.PARTS:
                _raw_delete(part, list(part._base_manager.filter(concern_id__in=ids).values_list("pk", flat=True)))
            _raw_delete(model, ids)


class AuditHistory(RecordType):
    """Audit entries past the period; safeguarding history follows the safeguarding rule."""

    key = "audit_log"
    label = "Audit history (other than safeguarding)"
    model_class = LogEntry
    date_field = "timestamp"

    def expired_in(self, model, now):
        # Safeguarding history (and a follow-up's) follows the safeguarding rule: it goes with its record.
        expired = super().expired_in(model, now).exclude(content_type__app_label="safeguarding")
        kept = WelfareContact.objects.filter(safeguarding_follow_up=True).values(text_pk=Cast("pk", CharField()))
        return expired.exclude(content_type=ContentType.objects.get_for_model(WelfareContact), object_pk__in=kept)

    def describe(self, row):
        return f"{row.get_action_display()} {row.content_type.app_label}.{row.content_type.model} {row.object_pk}"

    def delete_rows(self, model, ids):
        model.objects.filter(pk__in=ids).delete()

    def remove(self, now):
        rows = self.expired(now)
        ids = list(rows.values_list("pk", flat=True))
        LogEntry.objects.filter(pk__in=ids).delete()
        return DELETED, len(ids), ""


# Order matters: rows that point at others go first (join links before calls).
RECORD_TYPES = [
    OutboxMessages(),
    JoinRecords(),
    SessionLogs(),
    WelfareContacts(),
    SafeguardingFollowUps(),
    Calls(),
    ConsentHistory(),
    PupilAcknowledgements(),
    Safeguarding(),
    AuditHistory(),
]


def dry_run(now) -> list[Candidate]:
    """GOV-4: exactly the records a sweep at `now` would remove."""
    return [candidate for record_type in RECORD_TYPES for candidate in record_type.candidates(now)]


def schedule_rows() -> list[dict]:
    """The schedule as shown to the head and office."""
    rows = []
    for record_type in RECORD_TYPES:
        rows.append(
            {
                "label": record_type.label,
                "period": describe_period(record_type.period()),
                "available": True,
            }
        )
    return rows


def describe_period(period: dict) -> str:
    if "until_age" in period:
        return f"until the pupil's {period['until_age']}th birthday"
    if "years_after_leaving" in period:
        return f"while on roll, then {period['years_after_leaving']} years after leaving"
    return f"{period['years']} year{'s' if period['years'] != 1 else ''}"


def as_date(value):
    return timezone.localdate(value) if isinstance(value, dt.datetime) else value
