from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "masthead.ops"
    label = "ops"
    verbose_name = "Operations"
