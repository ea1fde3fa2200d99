from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import PolicyVersion

        auditlog.register(PolicyVersion)
