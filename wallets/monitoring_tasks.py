"""Celery task for period closes (thin: the job lives in `wallets.invoicing`). The lead wires
it into `BILLING_JOBS` and the beat schedule; it is safe to run twice."""

from celery import shared_task

from .invoicing import periods_close_due


@shared_task(name="wallets.monitoring_tasks.periods_close_due")
def periods_close_due_task() -> dict:
    return periods_close_due()
