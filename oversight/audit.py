"""Searching the audit history (GOV-3): django-auditlog's LogEntry, by person, record and date."""

import datetime as dt

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from .permissions import DSL_ONLY_AUDIT_APPS, audit_entries_visible_to, may_see_safeguarding_audit

PAGE_SIZE = 50


def record_types_for(user) -> list[ContentType]:
    """The audited models `user` may search, safeguarding ones only for the DSL team."""
    dsl = may_see_safeguarding_audit(user)
    models = [m for m in auditlog.get_models() if dsl or m._meta.app_label not in DSL_ONLY_AUDIT_APPS]
    types = ContentType.objects.get_for_models(*models).values() if models else []
    return sorted(types, key=lambda ct: (ct.app_label, ct.model))


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search_audit(user, *, actor_email="", content_type=None, object_id=None, date_from=None, date_to=None):
    """GOV-3: entries `user` may see matching the filters, newest first. Dates are whole
    days in Europe/London, both ends included."""
    entries = audit_entries_visible_to(user, LogEntry.objects.select_related("actor", "content_type"))
    if actor_email:
        entries = entries.filter(actor__email__iexact=actor_email.strip())
    if content_type is not None:
        entries = entries.filter(content_type=content_type)
    if object_id is not None:
        entries = entries.filter(object_pk=str(object_id))
    if date_from:
        entries = entries.filter(timestamp__gte=_local_midnight(date_from))
    if date_to:
        entries = entries.filter(timestamp__lt=_local_midnight(date_to + dt.timedelta(days=1)))
    return entries.order_by("-timestamp", "-pk")
