from django.apps import AppConfig


class SafeguardingConfig(AppConfig):
    name = "safeguarding"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Concern, ConcernAccess, ConcernAlert, ConcernEntry, ConcernPupil, DslAbsence, PupilFileExport

        # GOV-3: who did what, when. Encrypted content is left out of the audit diff, so the
        # history never holds concern text in clear (the audit viewer also restricts these
        # models to the DSL team).
        auditlog.register(Concern, exclude_fields=["what_happened", "childs_words", "action_taken"])
        auditlog.register(ConcernEntry, exclude_fields=["text"])
        auditlog.register(ConcernPupil)
        auditlog.register(ConcernAccess)
        auditlog.register(ConcernAlert)
        auditlog.register(PupilFileExport)
        auditlog.register(DslAbsence)

        from toolkit import registry

        from . import dashboard, demo

        registry.register_dashboard(dashboard)
        registry.register_demo_seeder(demo.seed)
