"""What a suspension blocks (docs/api.md#item-codes-and-measurement): by default every
messaging and calling item; an agency may choose its own list of item codes instead
(`Agency.suspension_blocked_items`, set on Settings > Payments or by an operator). The codes
are the catalog's (`subaccounts.pricing.models.BillableItem`), which `agencies` cannot see, so
they are checked here."""

from django.db import transaction

from agencies.models import Agency
from hoopbilling.audit import audit_record
from hoopbilling.errors import InvalidInput
from subaccounts.models import SubAccount
from subaccounts.pricing.models import BillableItem

SUSPENDED_CATEGORIES_BY_DEFAULT = (BillableItem.Category.MESSAGING, BillableItem.Category.CALLING)


def item_blocked(*, sub_account: SubAccount, item: BillableItem) -> bool:
    """True when `sub_account` is suspended and the suspension blocks `item`: the items the
    suspension names, else the agency's choice, else every messaging and calling item."""
    if not sub_account.suspended:
        return False
    return suspension_blocks(agency=sub_account.agency, items=sub_account.suspension_items,
                             item=item)


def suspension_blocks(*, agency: Agency, items, item: BillableItem) -> bool:
    """Whether a suspension naming `items` (empty: the agency's choice, else every messaging
    and calling item) blocks `item`; also asked of a suspension about to be made (the credit
    limit's, within a batch of usage)."""
    if items:
        return item.code in items
    if agency.suspension_blocked_items:
        return item.code in agency.suspension_blocked_items
    return item.category in SUSPENDED_CATEGORIES_BY_DEFAULT


def blocked_items_check(items) -> None:
    """InvalidInput unless `items` is a list of catalog item codes (what the operators' admin
    checks before `agencies.services.agency_operator_update` saves them)."""
    known = set(BillableItem.objects.values_list("code", flat=True))
    if not isinstance(items, list) or not all(isinstance(code, str) and code in known
                                              for code in items):
        raise InvalidInput("Blocked items are a list of item codes.",
                           field="suspension_blocked_items")


def suspension_items_clean(items, *, field: str = "items") -> list[str]:
    """The item codes a suspension blocks, in catalog order; an unknown code is refused,
    naming `field`. None or empty: the default."""
    if items is None:
        return []
    if not isinstance(items, list | tuple) or not all(isinstance(c, str) for c in items):
        raise InvalidInput("Items are a list of item codes.", field=field)
    known = list(BillableItem.objects.values_list("code", flat=True))
    unknown = sorted(set(items) - set(known))
    if unknown:
        raise InvalidInput(f"Unknown item {unknown[0]!r}; the items are {', '.join(known)}.",
                           field=field)
    return [code for code in known if code in items]


@transaction.atomic
def agency_suspension_items_set(*, agency: Agency, items: list[str], actor=None,
                                actor_label: str = "") -> Agency:
    """The item codes a suspension blocks, in catalog order; an empty list means the default
    (every messaging and calling item)."""
    ordered = suspension_items_clean(items, field="suspension_blocked_items")
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    before = list(agency.suspension_blocked_items)
    agency.suspension_blocked_items = ordered
    agency.save(update_fields=["suspension_blocked_items"])
    if ordered != before:
        audit_record(action="agency.suspension_items_set", obj=agency, actor=actor,
                     actor_label=actor_label, agency_id=agency.pk,
                     before={"suspension_blocked_items": before},
                     after={"suspension_blocked_items": ordered})
    return agency
