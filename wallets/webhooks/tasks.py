"""The delivery task: thin, takes a delivery's id, safe to run twice (the lease lets one
attempt run at a time; a delivered one is not sent again). Its name is the one messages in
flight carry (`wallets.tasks.*`)."""

from celery import shared_task
from django.utils import timezone

from wallets.webhooks.delivery import DELIVERY_TASK, webhook_delivery_send


@shared_task(name=DELIVERY_TASK)
def webhook_delivery_task(delivery_id: int) -> str | None:
    """Attempt this delivery if it is due (`wallets.webhooks.delivery`)."""
    return webhook_delivery_send(delivery_id=delivery_id, now=timezone.now())
