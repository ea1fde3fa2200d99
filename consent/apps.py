from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        # GOV-3: every consent record is audit-logged in the transaction that writes it.
        for model in (
            models.ConsentDecision,
            models.AcceptableUseDocument,
            models.AcceptableUseAcknowledgement,
            models.ConsentRequest,
            models.ConsentReminder,
            models.FamilyQuestion,
            models.FamilyQuestionReply,
        ):
            auditlog.register(model)

        from governance.events import policy_version_published
        from school.events import guardianships_changed
        from toolkit import registry

        from . import dashboard, demo, reactions

        policy_version_published.connect(reactions.ask_again_for_changed_guidance, dispatch_uid="consent.ask_again_for_guidance")
        guardianships_changed.connect(reactions.refresh_after_guardianship_change, dispatch_uid="consent.refresh_current_consent")

        registry.register_dashboard(dashboard)
        registry.register_demo_seeder(demo.seed)
