"""What a suspension blocks (docs/api.md#item-codes-and-measurement): by default every
messaging and calling item; an agency may choose its own list of item codes instead."""

from agencies.models import SUSPENDED_CATEGORIES_BY_DEFAULT, BillableItem
from subaccounts.models import SubAccount


def item_blocked(*, sub_account: SubAccount, item: BillableItem) -> bool:
    """True when `sub_account` is suspended and the suspension blocks `item`."""
    if not sub_account.suspended:
        return False
    agency = sub_account.agency
    if agency.suspension_blocked_items:
        return item.code in agency.suspension_blocked_items
    return item.category in SUSPENDED_CATEGORIES_BY_DEFAULT
