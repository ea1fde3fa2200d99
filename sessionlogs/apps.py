from django.apps import AppConfig


class SessionLogsConfig(AppConfig):
    name = "sessionlogs"
