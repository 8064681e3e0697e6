from django.apps import AppConfig


class HoopbillingConfig(AppConfig):
    name = "hoopbilling"
    verbose_name = "Platform"

    def ready(self):
        from hoopbilling import security  # noqa: F401  (failed-login receivers)
