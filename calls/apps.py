from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"

    def ready(self):
        from auditlog.registry import auditlog

        from consent.events import consent_regiven, consent_withdrawn, withdrawal_previewed
        from governance.events import pupil_left
        from platforms.events import meeting_ready
        from safeguarding.events import source_call_time_asked
        from school.events import upcoming_calls_asked

        from . import models, put_back
        from .reactions import (
            any_upcoming_calls,
            drop_pupil_on_withdrawal,
            drop_pupil_who_left,
            send_join_details_when_meeting_ready,
            source_call_time,
        )

        # The meeting link and passcode are staff-only secrets: never in audit history (COM-4).
        auditlog.register(models.Call, exclude_fields=["meeting_url", "passcode"])
        auditlog.register(models.CallInvitation)
        auditlog.register(models.ParentAgreement)
        auditlog.register(models.CallApproval)
        auditlog.register(models.JoinLink, exclude_fields=["token_hash"])
        auditlog.register(models.HostChecklistTick)
        auditlog.register(models.CalendarFeed, exclude_fields=["token_hash"])
        consent_withdrawn.connect(drop_pupil_on_withdrawal, dispatch_uid="calls.drop_pupil_on_withdrawal")
        # Issue 19: the parent sees the calls affected before withdrawing, and is offered them back after.
        withdrawal_previewed.connect(put_back.answer_withdrawal_preview, dispatch_uid="calls.withdrawal_preview")
        consent_regiven.connect(put_back.answer_consent_regiven, dispatch_uid="calls.put_back_offer")
        # Leavers go from upcoming calls exactly as on withdrawal (one function: remove_from_upcoming_calls).
        pupil_left.connect(drop_pupil_who_left, dispatch_uid="calls.drop_pupil_who_left")
        upcoming_calls_asked.connect(any_upcoming_calls, dispatch_uid="calls.any_upcoming_calls")
        # COM-4: join emails that waited for a hosted platform's meeting go as soon as it exists.
        meeting_ready.connect(send_join_details_when_meeting_ready, dispatch_uid="calls.meeting_ready")
        source_call_time_asked.connect(source_call_time, dispatch_uid="calls.source_call_time")

        from toolkit import registry

        from . import dashboard, demo

        registry.register_dashboard(dashboard)
        registry.register_demo_seeder(demo.seed)
