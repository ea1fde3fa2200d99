"""The audit history in the Django admin shows what the audit viewer shows someone outside the
DSL team (SG-3): a superuser holds no school role, so no safeguarding entries (issue 16)."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin

from .permissions import without_safeguarding_entries

admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class SchoolLogEntryAdmin(LogEntryAdmin):
    def get_queryset(self, request):
        return without_safeguarding_entries(super().get_queryset(request))
