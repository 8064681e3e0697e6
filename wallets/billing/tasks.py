"""The minute's billing jobs, as the Celery task beat runs (its name is the schedule's:
hoopbilling/celery.py)."""

from celery import shared_task
from django.utils import timezone

from wallets.billing.jobs import billing_jobs_run


@shared_task(name="wallets.tasks.billing_jobs_run")
def billing_jobs_run_task() -> dict:
    """Every minute: due top-ups, retries, suspension checks and period closes
    (`wallets.billing.jobs`)."""
    return billing_jobs_run(timezone.now())
