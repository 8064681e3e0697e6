"""Reads of agencies and the catalog, for services, pages and the API."""

from datetime import datetime

from .models import BaseCost, BillableItem


def base_cost_at(*, item: BillableItem, currency: str, moment: datetime) -> BaseCost | None:
    """The base cost in force at `moment`."""
    return (BaseCost.objects
            .filter(item=item, cost_currency=currency, effective_from__lte=moment)
            .order_by("-effective_from").first())
