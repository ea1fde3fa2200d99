from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import PolicyVersion

        auditlog.register(PolicyVersion)

        from toolkit import registry

        from . import dashboard, demo

        registry.register_dashboard(dashboard)
        registry.register_demo_seeder(demo.seed)
