"""Pricing services: the only code that writes base costs, agency prices and client
overrides. Each write is a new effective-dated row from now (or the moment given), checked by
the price rules against the base cost in force, and audited in the same transaction."""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from moneyed import Money

from agencies.models import Agency
from agencies.services import currency_check
from hoopbilling.audit import audit_record
from hoopbilling.errors import InvalidInput
from hoopbilling.money import ensure_decimal, fits_amount
from subaccounts.pricing.models import AgencyPrice, BaseCost, BillableItem, PriceOverride
from subaccounts.pricing.rules import ValidPrice, price_json, price_validate
from subaccounts.pricing.selectors import agency_prices_at, base_cost_at


@transaction.atomic
def base_cost_set(
    *, item: BillableItem, currency: str, cost: Decimal, effective_from: datetime | None = None,
    actor=None,
) -> BaseCost:
    """A new platform base cost for `item` in `currency`, in force from `effective_from`."""
    cost = ensure_decimal(cost, field="cost")
    currency_check(currency)
    if cost < 0:
        raise InvalidInput("A base cost is never negative.", field="cost")
    if not fits_amount(cost):
        raise InvalidInput("A base cost has at most 6 decimal places.", field="cost")
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


@transaction.atomic
def price_set(*, agency: Agency, item: BillableItem, price=None, tiers=None,
              subsidize: bool = False, currency: str | None = None, actor=None,
              actor_label: str = "") -> AgencyPrice:
    """The agency's new retail price for `item`, in force from now on (a new row: every
    earlier charge keeps the price it was made at). Flat `price` xor `tiers`, as strings."""
    now = timezone.now()
    valid = price_check(agency=agency, item=item, moment=now, price=price, tiers=tiers,
                        subsidize=subsidize, given_currency=currency)
    previous = agency_prices_at(agency=agency, moment=now).get(item.code)
    row = AgencyPrice(
        agency=agency, item=item, tiers=valid.tiers, subsidize=valid.subsidize,
        price=Money(valid.price, agency.currency) if valid.price is not None else None,
        effective_from=now, created_by=actor if getattr(actor, "pk", None) else None)
    row.full_clean()
    row.save()
    audit_record(action="price.set", obj=row, actor=actor, actor_label=actor_label,
                 agency_id=agency.pk, before=price_json(previous),
                 after={"item": item.code, "base_cost": str(valid.base_cost),
                        **price_json(row)})
    return row


def _override_in_force(*, sub_account, item: BillableItem, moment):
    return (PriceOverride.objects.filter(sub_account=sub_account, item=item,
                                         effective_from__lte=moment)
            .order_by("-effective_from", "-id").first())


@transaction.atomic
def override_set(*, sub_account, item: BillableItem, price=None, tiers=None,
                 subsidize: bool = False, currency: str | None = None, actor=None,
                 actor_label: str = "") -> PriceOverride:
    """This client's own price for `item` from now on, checked by the same rules as the
    agency's prices (against the platform's base cost, in the agency's currency)."""
    agency = sub_account.agency
    now = timezone.now()
    valid = price_check(agency=agency, item=item, moment=now, price=price, tiers=tiers,
                        subsidize=subsidize, given_currency=currency)
    previous = _override_in_force(sub_account=sub_account, item=item, moment=now)
    row = PriceOverride(
        sub_account=sub_account, item=item, tiers=valid.tiers, subsidize=valid.subsidize,
        price=Money(valid.price, agency.currency) if valid.price is not None else None,
        effective_from=now, created_by=actor if getattr(actor, "pk", None) else None)
    row.full_clean()
    row.save()
    audit_record(action="override.set", obj=row, actor=actor, actor_label=actor_label,
                 agency_id=agency.pk, before=price_json(previous),
                 after={"item": item.code, "sub_account": str(sub_account.pk),
                        "base_cost": str(valid.base_cost), **price_json(row)})
    return row


@transaction.atomic
def override_clear(*, sub_account, item: BillableItem, actor=None,
                   actor_label: str = "") -> PriceOverride | None:
    """Return this client to the agency's price for `item` ("reset to agency price").

    Writes a `cleared=True` row so the override's history is kept; when no override is in
    force there is nothing to clear and nothing is written (returns None).
    """
    now = timezone.now()
    previous = _override_in_force(sub_account=sub_account, item=item, moment=now)
    if previous is None or previous.cleared:
        return None
    row = PriceOverride(sub_account=sub_account, item=item, cleared=True, effective_from=now,
                        created_by=actor if getattr(actor, "pk", None) else None)
    row.full_clean()
    row.save()
    audit_record(action="override.clear", obj=row, actor=actor, actor_label=actor_label,
                 agency_id=sub_account.agency_id, before=price_json(previous),
                 after={"item": item.code, "sub_account": str(sub_account.pk),
                        **price_json(row)})
    return row
