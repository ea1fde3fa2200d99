from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from auditlog.registry import auditlog

        from . import sso  # connects its user_logged_in receiver

        sso.keep_sign_in_secrets_out_of_the_admin()
        from .models import StaffRole, User

        # Rows other apps keep one-to-one about a person (a guardian's record) are not the user's fields:
        # left in, auditlog would read each one when an account is made (a query per imported guardian),
        # and a user's own save never changes them. As for Pupil in school/apps.py.
        reverse_one_to_one = [f.name for f in User._meta.get_fields() if f.one_to_one and f.auto_created]
        auditlog.register(User, exclude_fields=["password", "last_login", *reverse_one_to_one])
        auditlog.register(StaffRole)
