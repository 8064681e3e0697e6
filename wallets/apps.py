from django.apps import AppConfig


class WalletsConfig(AppConfig):
    name = "wallets"

    def ready(self):
        from . import (
            receivers,  # noqa: F401  (connects to the sub-accounts' signals)
            stripe_receivers,  # noqa: F401  (connects to dj-stripe's event signals)
        )
