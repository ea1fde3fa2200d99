from django.apps import AppConfig


class SessionLogsConfig(AppConfig):
    name = "sessionlogs"
    verbose_name = "Session logs and welfare contacts"

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        # GOV-3: every log, version, annotation, welfare contact and preference is audit-logged.
        for model in (
            models.SessionLog,
            models.SessionLogPupil,
            models.SessionLogVersion,
            models.SessionLogAnnotation,
            models.WelfareContact,
            models.ContactPreference,
        ):
            auditlog.register(model)

        from toolkit import registry

        from . import dashboard, demo

        registry.register_dashboard(dashboard)
        registry.register_demo_seeder(demo.seed)
