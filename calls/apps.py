from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"

    def ready(self):
        from auditlog.registry import auditlog

        from consent.hooks import on_withdrawal

        from . import models
        from .services import handle_consent_withdrawal

        # The meeting link and passcode are staff-only secrets: never in audit history (COM-4).
        auditlog.register(models.Call, exclude_fields=["meeting_url", "passcode"])
        auditlog.register(models.CallInvitation)
        auditlog.register(models.ParentAgreement)
        auditlog.register(models.CallApproval)
        auditlog.register(models.JoinLink, exclude_fields=["token_hash"])
        auditlog.register(models.HostChecklistTick)
        auditlog.register(models.CalendarFeed, exclude_fields=["token_hash"])
        on_withdrawal(handle_consent_withdrawal)
