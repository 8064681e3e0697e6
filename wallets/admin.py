"""The wallets app in the operators' admin: each capability registers its own models."""

from wallets.alerts import admin as alerts_admin  # noqa: F401
from wallets.billing import admin as billing_admin  # noqa: F401
from wallets.payments import admin as payments_admin  # noqa: F401
from wallets.usage import admin as usage_admin  # noqa: F401
from wallets.webhooks import admin as webhooks_admin  # noqa: F401
