"""The wallets app's Celery tasks, each defined in the package of its capability and imported
here because Celery's autodiscovery looks for `<app>.tasks`."""

from wallets.alerts import tasks as alerts_tasks  # noqa: F401
from wallets.billing import tasks as billing_tasks  # noqa: F401
from wallets.payments import tasks as payments_tasks  # noqa: F401
from wallets.usage import tasks as usage_tasks  # noqa: F401
from wallets.webhooks import tasks as webhooks_tasks  # noqa: F401
