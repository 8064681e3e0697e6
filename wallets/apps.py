from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "wallets"

    def ready(self):
        from . import (
            receivers,  # noqa: F401  (connects to the sub-accounts' signals)
            rollups,  # noqa: F401  (daily usage roll-ups on usage_recorded)
            stripe_receivers,  # noqa: F401  (connects to dj-stripe's event signals)
        )
