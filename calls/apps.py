from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"

    def ready(self):
        from auditlog.registry import auditlog

        from consent.hooks import on_withdrawal
        from governance.hooks import on_pupil_left

        from . import models
        from .choices import Platform
        from .gateway import bigbluebutton_link, register_platform_link
        from .services import handle_consent_withdrawal, handle_pupil_left

        # The meeting link and passcode are staff-only secrets: never in audit history (COM-4).
        auditlog.register(models.Call, exclude_fields=["meeting_url", "passcode"])
        auditlog.register(models.CallInvitation)
        auditlog.register(models.ParentAgreement)
        auditlog.register(models.CallApproval)
        auditlog.register(models.JoinLink, exclude_fields=["token_hash"])
        auditlog.register(models.HostChecklistTick)
        auditlog.register(models.CalendarFeed, exclude_fields=["token_hash"])
        on_withdrawal(handle_consent_withdrawal)
        # Leavers go from upcoming calls exactly as on withdrawal (one function: remove_from_upcoming_calls).
        on_pupil_left(handle_pupil_left)
        # BigBlueButton calls get a personal link built at the moment of joining (platforms decides
        # from settings whether a server applies the policy; otherwise the host's stored link).
        register_platform_link(Platform.BIGBLUEBUTTON, bigbluebutton_link)
        # Teams, Meet, Zoom: the same provider; with the platform's credentials set, the meeting
        # made at booking is handed over after the checks (platforms.gateway), else the stored link.
        for hosted in (Platform.MICROSOFT_TEAMS, Platform.GOOGLE_MEET, Platform.ZOOM):
            register_platform_link(hosted, bigbluebutton_link)
        # COM-4: join emails that waited for the platform's meeting go as soon as it exists.
        from platforms.hooks import on_meeting_ready

        from .services import send_join_details_for_ref

        on_meeting_ready(send_join_details_for_ref)
