from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal pages"

    def ready(self):
        from django.urls import register_converter

        from toolkit.converters import TextConverter

        # Before any URLconf is loaded (ready() runs first): the apps' urls.py use <text:...>.
        register_converter(TextConverter, "text")
        # Every form in the project (and allauth's, and the admin's) names the field in its "required" error.
        from toolkit.forms import install_required_messages

        install_required_messages()
