from django.apps import AppConfig


class SchoolConfig(AppConfig):
    name = "school"
    verbose_name = "School directory"

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        for model in (
            models.SchoolSettings,
            models.SchoolDay,
            models.TermDate,
            models.Closure,
            models.SchoolClass,
            models.Pupil,
            models.Guardian,
            models.Guardianship,
        ):
            auditlog.register(model)

        from toolkit import registry

        from . import dashboard, demo, roles

        roles.add_parent_facts()

        registry.register_dashboard(dashboard)
        registry.register_demo_seeder(demo.seed)
