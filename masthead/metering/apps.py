from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "masthead.metering"
    label = "metering"
    verbose_name = "Meter"
