"""The minute's billing jobs."""

import logging

from celery import shared_task
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(name="wallets.tasks.billing_jobs_run")
def billing_jobs_run_task() -> dict:
    """Every minute: due top-ups, retries, suspension checks and period closes
    (`wallets.jobs`)."""
    from wallets.billing.jobs import billing_jobs_run

    return billing_jobs_run(timezone.now())
