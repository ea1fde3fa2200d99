from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import StaffMessage

        # OutboxMessage is not audited: workers update it in bulk; its own fields are its history.
        auditlog.register(StaffMessage, m2m_fields={"cc_staff"})

        from accounts.events import dsl_team_changed, invitation_requested
        from toolkit import registry

        from . import reactions

        invitation_requested.connect(reactions.send_account_invitation, dispatch_uid="notifications.account_invitation")
        dsl_team_changed.connect(reactions.tell_of_dsl_team_change, dispatch_uid="notifications.dsl_team_changed")

        from . import dashboard, demo

        registry.register_dashboard(dashboard)
        registry.register_demo_seeder(demo.seed)
