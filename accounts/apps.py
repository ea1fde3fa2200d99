from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from auditlog.registry import auditlog

        from . import sso  # connects its user_logged_in receiver

        sso.keep_sign_in_secrets_out_of_the_admin()
        from .models import StaffRole, User

        auditlog.register(User, exclude_fields=["password", "last_login"])
        auditlog.register(StaffRole)
