from django.apps import AppConfig


class PaywallConfig(AppConfig):
    name = "masthead.paywall"
    label = "paywall"
    verbose_name = "Paywall"
