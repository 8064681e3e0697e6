"""The Celery app. Tasks live in each app's `tasks.py` and are found by autodiscovery."""

import os

from celery import Celery
from celery.schedules import crontab
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hoopbilling.settings")

# redis:// brokers use kombu's Redis transport with the fix that keeps a worker alive when
# Redis goes away (hoopbilling/broker.py). kombu picks the transport from the URL's scheme,
# through this table, so the broker URL stays the usual redis://host:port/db.
TRANSPORT_ALIASES["redis"] = "hoopbilling.broker:Transport"

app = Celery("hoopbilling")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "verify-ledger-nightly": {
        "task": "wallets.tasks.ledger_verify",
        "schedule": crontab(hour=3, minute=17),
    },
    "billing-jobs-every-minute": {
        "task": "wallets.tasks.billing_jobs_run",
        "schedule": 60.0,
    },
}
