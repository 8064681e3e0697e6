"""The wallets app: its receivers are connected when Django is ready."""

from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "wallets"

    def ready(self):
        from wallets.alerts import receivers as alerts_receivers  # noqa: F401
        from wallets.ledger import receivers as ledger_receivers  # noqa: F401
        from wallets.payments import receivers as payments_receivers  # noqa: F401
        from wallets.usage import receivers as usage_receivers  # noqa: F401
        from wallets.webhooks import receivers as webhooks_receivers  # noqa: F401
