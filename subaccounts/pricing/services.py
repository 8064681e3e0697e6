"""Pricing services: the only code that writes base costs and the agencies' price lists.

An agency's price for every client and a client's own price (an override) are one thing, the
agency's price list with or without a client: one writer, `price_set`, and `price_clear` to
end a client's own price. Each write is a new effective-dated row, checked by the price rules
against the base cost in force, and audited in the same transaction."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from moneyed import Money

from agencies.models import Agency
from agencies.services import currency_check
from hoopbilling.audit import audit_record
from hoopbilling.errors import InvalidInput
from hoopbilling.money import PRICE_MAX, bounded_decimal, ensure_decimal
from subaccounts.pricing.models import (
    AgencyPrice,
    BaseCost,
    BillableItem,
    ListPrice,
    PriceOverride,
)
from subaccounts.pricing.rules import ValidPrice, price_json, price_validate
from subaccounts.pricing.selectors import base_cost_at, price_in_force


@transaction.atomic
def base_cost_set(
    *, item: BillableItem, currency: str, cost: Decimal, effective_from: datetime | None = None,
    actor=None,
) -> BaseCost:
    """A new platform base cost for `item` in `currency`, in force from `effective_from`."""
    cost = ensure_decimal(cost, field="cost")
    currency_check(currency)
    cost = bounded_decimal(cost, field="cost", maximum=PRICE_MAX, what="A base cost")
    effective_from = effective_from or timezone.now()
    previous = base_cost_at(item=item, currency=currency, moment=effective_from)
    row = BaseCost(item=item, cost=Money(cost, currency), effective_from=effective_from,
                   created_by=actor if getattr(actor, "pk", None) else None)
    row.full_clean()
    row.save()
    audit_record(action="base_cost.set", obj=row, actor=actor,
                 before={"cost": str(previous.cost.amount)} if previous else None,
                 after={"item": item.code, "currency": currency, "cost": str(cost),
                        "effective_from": effective_from.isoformat()})
    return row


def price_check(*, agency: Agency, item: BillableItem, moment, price=None, tiers=None,
                subsidize=False, given_currency=None) -> ValidPrice:
    """`price_validate` against the platform's base cost for `item` in force at `moment`,
    in the agency's currency: the check behind every agency price and client override."""
    base = base_cost_at(item=item, currency=agency.currency, moment=moment)
    if base is None:
        raise InvalidInput(f"The platform has no base cost for {item.code} in "
                           f"{agency.currency}.", field="item")
    return price_validate(item=item, currency=agency.currency, base_cost=base.cost.amount,
                          price=price, tiers=tiers, subsidize=subsidize,
                          given_currency=given_currency)


def _price_list(agency, sub_account):
    """The agency whose price list is written: the one given, or the client's."""
    if sub_account is None:
        if agency is None:
            raise TypeError("price_set needs an agency or a sub_account")
        return agency
    if agency is not None and agency.pk != sub_account.agency_id:
        raise ValueError(f"{sub_account} is not a client of {agency}")
    return sub_account.agency


def _row_write(row: ListPrice, *, action: str, agency: Agency, previous, after: dict, actor,
               actor_label: str) -> ListPrice:
    """Save a new row of the price list, with its audit row (`before`: the row it ends)."""
    row.created_by = actor if getattr(actor, "pk", None) else None
    row.full_clean()
    row.save()
    audit_record(action=action, obj=row, actor=actor, actor_label=actor_label,
                 agency_id=agency.pk, before=price_json(previous),
                 after={"item": row.item.code, **after, **price_json(row)})
    return row


@transaction.atomic
def price_set(*, item: BillableItem, agency: Agency | None = None, sub_account=None,
              price=None, tiers=None, subsidize: bool = False, currency: str | None = None,
              actor=None, actor_label: str = "") -> AgencyPrice | PriceOverride:
    """The agency's new price for `item`, in force from now on: for every client (an
    `AgencyPrice`, audited `price.set`) or, with `sub_account`, that client's own (a
    `PriceOverride`, audited `override.set`; the agency is the client's). Flat `price` xor
    `tiers`, as strings, checked by the rules against the platform's base cost in the
    agency's currency (`price_check`). A new row: every earlier charge keeps the price it was
    made at."""
    agency = _price_list(agency, sub_account)
    now = timezone.now()
    valid = price_check(agency=agency, item=item, moment=now, price=price, tiers=tiers,
                        subsidize=subsidize, given_currency=currency)
    fields = {"item": item, "effective_from": now, "tiers": valid.tiers,
              "subsidize": valid.subsidize,
              "price": None if valid.price is None else Money(valid.price, agency.currency)}
    if sub_account is None:
        row, action, after = AgencyPrice(agency=agency, **fields), "price.set", {}
    else:
        row, action = PriceOverride(sub_account=sub_account, **fields), "override.set"
        after = {"sub_account": str(sub_account.pk)}
    previous = price_in_force(agency=agency, sub_account=sub_account, item=item, moment=now)
    return _row_write(row, action=action, agency=agency, previous=previous,
                      after={**after, "base_cost": str(valid.base_cost)}, actor=actor,
                      actor_label=actor_label)


@transaction.atomic
def price_clear(*, sub_account, item: BillableItem, actor=None,
                actor_label: str = "") -> PriceOverride | None:
    """Return this client to the agency's price for `item` ("reset to agency price").

    Writes a `cleared=True` row so the override's history is kept (audited
    `override.clear`); when no override is in force there is nothing to clear and nothing is
    written (returns None).
    """
    now = timezone.now()
    previous = price_in_force(sub_account=sub_account, item=item, moment=now)
    if previous is None or previous.cleared:
        return None
    row = PriceOverride(sub_account=sub_account, item=item, cleared=True, effective_from=now)
    return _row_write(row, action="override.clear", agency=sub_account.agency,
                      previous=previous, after={"sub_account": str(sub_account.pk)},
                      actor=actor, actor_label=actor_label)
