from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "決済・書類"
