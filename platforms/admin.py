from django.contrib import admin

from .models import MeetingReport


@admin.register(MeetingReport)
class MeetingReportAdmin(admin.ModelAdmin):
    """Read-only: reports come from the platform, never from typing."""

    list_display = ["meeting_id", "call_ref", "started_at", "ended_at", "received_at"]
    search_fields = ["meeting_id", "call_ref"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
