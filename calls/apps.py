from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"

    def ready(self):
        from auditlog.registry import auditlog

        from consent.hooks import on_consent_regiven, on_withdrawal, on_withdrawal_preview
        from governance.hooks import on_pupil_left

        from . import models
        from .choices import Platform
        from .gateway import bigbluebutton_link, register_platform_link
        from .services import handle_consent_withdrawal, handle_pupil_left, put_back_offer_url, withdrawal_preview

        # The meeting link and passcode are staff-only secrets: never in audit history (COM-4).
        auditlog.register(models.Call, exclude_fields=["meeting_url", "passcode"])
        auditlog.register(models.CallInvitation)
        auditlog.register(models.ParentAgreement)
        auditlog.register(models.CallApproval)
        auditlog.register(models.JoinLink, exclude_fields=["token_hash"])
        auditlog.register(models.HostChecklistTick)
        auditlog.register(models.CalendarFeed, exclude_fields=["token_hash"])
        on_withdrawal(handle_consent_withdrawal)
        # Issue 19: the parent sees the calls affected before withdrawing, and is offered them back after.
        on_withdrawal_preview(withdrawal_preview)
        on_consent_regiven(put_back_offer_url)
        # Leavers go from upcoming calls exactly as on withdrawal (one function: remove_from_upcoming_calls).
        on_pupil_left(handle_pupil_left)
        # BigBlueButton calls get a personal link built at the moment of joining (platforms decides
        # from settings whether a server applies the policy; otherwise the host's stored link).
        register_platform_link(Platform.BIGBLUEBUTTON, bigbluebutton_link)
