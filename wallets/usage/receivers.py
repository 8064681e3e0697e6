"""Usage's receivers: the daily roll-ups, written in the transaction that records the usage."""

from django.dispatch import receiver

from wallets.usage.rollups import rollups_add
from wallets.usage.signals import usage_recorded


@receiver(usage_recorded, dispatch_uid="wallets.usage.rollups")
def rollups_on_usage(sender, charges, **kwargs):
    rollups_add(charges=charges)
