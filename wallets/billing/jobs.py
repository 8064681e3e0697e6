"""The billing jobs run every minute by Celery beat (`wallets.billing.tasks`) and once by
`manage.py run_billing_jobs [--now ISO]`."""

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from hoopbilling.mail import outgoing_emails_due
from wallets.alerts.firing import alerts_due
from wallets.billing.invoicing import periods_close_due
from wallets.ledger.checkpoints import ledger_checkpoints_due
from wallets.ledger.services import credit_limits_due
from wallets.payments.jobs import (
    auto_topups_request,
    payment_events_due,
    suspensions_lift_settled,
    topups_due,
)
from wallets.webhooks.delivery import webhook_deliveries_due

BILLING_JOBS: list[Callable[[datetime], dict]] = [
    payment_events_due,
    auto_topups_request,
    topups_due,
    suspensions_lift_settled,
    credit_limits_due,
    alerts_due,
    periods_close_due,
    outgoing_emails_due,
    ledger_checkpoints_due,
    webhook_deliveries_due,
]


def billing_jobs_run(now: datetime, *, progress: Callable[[str, dict], None] | None = None,
                     ) -> dict:
    """Every job once, in order; `progress(name, counts)` hears of each as it finishes."""
    totals: Counter = Counter()
    for job in BILLING_JOBS:
        counts = job(now)
        for key, value in counts.items():
            totals[key] += value
        if progress:
            progress(job.__name__, counts)
    return dict(totals)
