from django.apps import AppConfig


class SchoolConfig(AppConfig):
    name = "school"
    verbose_name = "School directory"

    def ready(self):
        from auditlog.registry import auditlog

        from . import models

        # Other apps' one-to-one rows about a pupil (a contact preference) are not the pupil's fields:
        # left in, auditlog would read each one when a pupil is created (a query per imported row).
        reverse_one_to_one = [f.name for f in models.Pupil._meta.get_fields() if f.one_to_one and f.auto_created]
        auditlog.register(models.Pupil, exclude_fields=reverse_one_to_one)
        for model in (
            models.SchoolSettings,
            models.SchoolDay,
            models.TermDate,
            models.Closure,
            models.SchoolClass,
            models.Guardian,
            models.Guardianship,
        ):
            auditlog.register(model)
