"""The kernel's Celery tasks, defined beside their service and imported here because Celery's
autodiscovery looks for `<app>.tasks`. The names are the ones messages in flight carry."""

from hoopbilling.mail import outgoing_email_send_task  # noqa: F401
