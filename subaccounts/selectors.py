"""Reads of sub-accounts, for pages and the API."""

from agencies.models import Agency
from subaccounts.models import SubAccount


def agency_subaccounts(*, agency: Agency):
    """The agency's clients, by name."""
    return SubAccount.objects.filter(agency=agency).order_by("name", "pk")
