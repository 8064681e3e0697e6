from django.apps import AppConfig


class HoopbillingConfig(AppConfig):
    name = "hoopbilling"
    verbose_name = "Platform"
