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
        # The data version's triggers on every table, after every migrate (toolkit/versions.py).
        from django.db.models.signals import post_migrate

        post_migrate.connect(_count_writes, dispatch_uid="portal.count_writes")


def _count_writes(app_config, using="default", **kwargs):
    """post_migrate is sent once per app that has models (the portal app has none): install
    once, after the last of them, when every table of this migrate exists."""
    from django.apps import apps

    from toolkit import versions

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if app_config is with_models[-1]:
        versions.install(using)
