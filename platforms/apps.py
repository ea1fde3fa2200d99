from django.apps import AppConfig


class PlatformsConfig(AppConfig):
    name = "platforms"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import MeetingReport

        # The poll stamps last_polled_at every minute: not history worth keeping (GOV-3 is about content).
        auditlog.register(MeetingReport, exclude_fields=["last_polled_at"])
