from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import PolicyVersion

        auditlog.register(PolicyVersion)

        from school.events import pupil_left_in_mis

        from .reactions import run_leaver_process

        pupil_left_in_mis.connect(run_leaver_process, dispatch_uid="governance.run_leaver_process")

        from toolkit import registry

        from . import dashboard, demo

        registry.register_dashboard(dashboard)
        registry.register_demo_seeder(demo.seed)
