from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal pages"

    def ready(self):
        # Every form in the project (and allauth's) names the field in its "required" error.
        from .form_guidance import install

        install()
