from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import ConsentDecision

        auditlog.register(ConsentDecision)
