"""No concern, entry or access row is registered here: the Django admin never shows
safeguarding content to anyone, superusers included (SG-3). Only the DSL rota is."""

from django.contrib import admin

from .models import DslAbsence


@admin.register(DslAbsence)
class DslAbsenceAdmin(admin.ModelAdmin):
    list_display = ["user", "starts_at", "ends_at", "reason"]
    fields = ["user", "starts_at", "ends_at", "reason", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def has_add_permission(self, request):
        return False  # marked through the portal's page, which records who marked it
