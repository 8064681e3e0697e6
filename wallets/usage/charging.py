"""What an event charges: its amount at a flat price or across graduated tiers (given the
client's count for the period so far), its base cost, and who pays (the client's wallet, or
the agency when it absorbs the client's usage). `usage_quote` answers with it without
recording anything; `services` (recording) prices the same way under the wallet locks.

- Graduated tiers: the charge is the exact sum of every tier's quantity × price, rounded to
  6 places once; each tier's row is the rounded running total less the one before, so the
  breakdown adds up to the amount shown.
- A zero amount (0 seconds, 0 words, a free tier, a zero price) is still a charge; it posts
  no ledger entry (entries never move zero).
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from agencies.models import Agency
from agencies.periods import period_bounds
from hoopbilling.money import quantize_amount
from subaccounts.pricing.book import ResolvedPrice
from wallets.usage.events import EventReferences, UsageEvent, usage_event_clean
from wallets.usage.models import UsageCharge, UsageCounter


def charge_binding(*, charge_id, sub_account_id, item_id: str, idempotency_key: str,
                   quantity: Decimal, unit_price: Decimal | None,
                   amount: Decimal, base_cost_amount: Decimal, currency: str) -> str:
    """The digest of what a charge bills (who, what, how much, at which price) that its ledger
    entry signs with itself (`Posting.binding`): a charge changed afterwards, or a second
    charge made for the same entry, no longer matches the entry (`wallets.usage.integrity`).
    NUL-separated with the one free text, the client's key, last: unambiguous whatever it
    holds."""
    return hashlib.sha256("\0".join((
        "charge-v1", str(charge_id), str(sub_account_id), item_id,
        f"{quantize_amount(quantity):f}",
        "" if unit_price is None else f"{quantize_amount(unit_price):f}",
        f"{quantize_amount(amount):f}", f"{quantize_amount(base_cost_amount):f}", currency,
        idempotency_key)).encode()).hexdigest()


@dataclass
class Quote:
    """What an event costs: the body of a charge before (or without) recording it."""

    event: UsageEvent
    price: ResolvedPrice
    amount: Decimal
    unit_price: Decimal | None
    tier_breakdown: list[dict] | None
    base_cost_amount: Decimal
    billed_to: str
    wallet_balance: Decimal


def plain_quantity(value: Decimal) -> str:
    """A quantity as the caller would write it: "2", "12.5" (not "2.000000")."""
    return f"{value.normalize():f}"


def _share(quantity: Decimal, price: Decimal, price_per: int) -> Decimal:
    return quantize_amount(quantity * price / price_per)


def event_amount(event: UsageEvent, price: ResolvedPrice, already: Decimal,
                 ) -> tuple[Decimal, Decimal | None, list[dict] | None]:
    """(amount, flat unit price or None, tier breakdown or None) given the quantity the
    client already used of this item in the period.

    A charge split across tiers is rounded once, as a whole (docs/api.md#pricing); each tier's
    row shows the rounded running total less the one before, so the rows add up to it."""
    per = event.item.price_per
    if not price.is_tiered:
        return _share(event.quantity, price.price, per), price.price, None
    breakdown, remaining, position = [], event.quantity, already
    exact = amount = Decimal(0)
    tiers = list(price.tiers)
    for number, tier in enumerate(tiers):
        last = number == len(tiers) - 1
        if tier.up_to is not None and position >= tier.up_to and not last:
            continue
        # The last tier takes whatever is left, even if its `up_to` is not open-ended.
        take = remaining if tier.up_to is None or last else min(remaining,
                                                                  tier.up_to - position)
        if take > 0 or not breakdown:
            exact += take * tier.price / per
            running = quantize_amount(exact)
            breakdown.append({
                "up_to": None if tier.up_to is None else f"{tier.up_to}",
                "price": f"{tier.price}", "quantity": plain_quantity(take),
                "amount": f"{running - amount}"})
            amount = running
        remaining -= take
        position += take
        if remaining <= 0:
            break
    return amount, None, breakdown


def payer_of(event: UsageEvent) -> str:
    """Rebilled usage debits the client's wallet; absorbed usage stays with the agency."""
    return (UsageCharge.BilledTo.WALLET if event.sub_account.is_rebilled
            else UsageCharge.BilledTo.AGENCY)


def base_cost_of(event: UsageEvent, price: ResolvedPrice) -> Decimal:
    """What the event costs the agency at the platform's base cost (rebilled or absorbed)."""
    return _share(event.quantity, price.base_cost, event.item.price_per)


def _quote(event: UsageEvent, price: ResolvedPrice, already: Decimal, balance: Decimal) -> Quote:
    amount, unit_price, breakdown = event_amount(event, price, already)
    billed_to = payer_of(event)
    return Quote(
        event=event, price=price, amount=amount, unit_price=unit_price,
        tier_breakdown=breakdown, base_cost_amount=base_cost_of(event, price),
        billed_to=billed_to,
        wallet_balance=(balance - amount if billed_to == UsageCharge.BilledTo.WALLET
                        else balance),
    )


def period_start_of(event: UsageEvent) -> datetime:
    """The start of the agency's billing period the event falls in (its counter's key)."""
    return period_bounds(anchor_day=event.sub_account.agency.billing_anchor_day,
                         moment=event.occurred_at)[0]


def usage_quote(*, agency: Agency, event: dict) -> Quote:
    """What `event` would charge now, given the client's usage so far; records nothing."""
    references = EventReferences(agency, [event])
    cleaned = usage_event_clean(data=event, references=references, now=timezone.now(),
                                require_key=False)
    counter = UsageCounter.objects.filter(
        sub_account=cleaned.sub_account, item=cleaned.item,
        period_start=period_start_of(cleaned)).values_list("quantity", flat=True).first()
    return _quote(cleaned, references.price(cleaned), counter or Decimal(0),
                  cleaned.sub_account.wallet.balance.amount)
