from django.apps import AppConfig


class OversightConfig(AppConfig):
    """The roof: the compliance overview, retention, the audit viewer and a family's data export.
    It reads every app below it; nothing imports it."""

    name = "oversight"

    def ready(self):
        from toolkit import registry

        from . import (
            checks,  # noqa: F401 - registers the retention schedule check
            dashboard,
        )

        registry.register_dashboard(dashboard)
