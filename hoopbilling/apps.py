from django.apps import AppConfig


class HoopbillingConfig(AppConfig):
    name = "hoopbilling"
    verbose_name = "Platform"

    def ready(self):
        from hoopbilling import (  # noqa: F401
            mail,  # the email service provider's delivery events (django-anymail)
            security,  # failed-login receivers
        )
