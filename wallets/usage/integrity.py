"""Checking usage against the ledger, on top of the ledger's own check
(`wallets.ledger.integrity`): `books_verify` is what `manage.py verify_ledger` and the nightly
task run.

- Each charge billing a wallet an amount has its entry, in the client's wallet, a `usage` entry made
  for that charge (its `reference_id`) debiting the charge's amount; a keyed entry signed the
  charge's digest (`charging.charge_binding`: item, quantity, unit price, amount, base cost),
  so the charge still matches it. Each entry made for a usage charge still has it.
- The daily roll-ups (`UsageDaily`) equal the sums and counts of the charges of their client,
  item, day and payer, for every day: a charge added, removed or changed shows there.
- The period counters (`UsageCounter`, which tiers price against) equal the quantity of the
  charges of their client, item and billing period, for every period.

A problem is reported on the client's wallet.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, TruncDate

from agencies.periods import period_bounds
from subaccounts.models import SubAccount
from wallets.ledger.integrity import WalletCheck, ledger_verify
from wallets.ledger.models import Entry
from wallets.usage.charging import charge_binding
from wallets.usage.models import UsageCharge, UsageCounter, UsageDaily

CHARGE_FIELDS = ("id", "sub_account_id", "item_id", "idempotency_key", "quantity", "unit_price",
                 "amount", "base_cost_amount", "amount_currency", "entry__wallet__sub_account_id",
                 "entry__kind", "entry__amount", "entry__reference_id", "entry__key_id",
                 "entry__binding", "entry__seq")


def _charges_against_entries(charges, problems: Callable[[object], list[str]]) -> None:
    rows = (charges.filter(entry__isnull=False).values_list(*CHARGE_FIELDS)
            .iterator(chunk_size=5000))
    for (charge_id, sub_account_id, item_id, key, quantity, unit_price, amount,
         base_cost, currency, entry_sub_account_id, kind, entry_amount, reference_id,
         key_id, binding, seq) in rows:
        found = problems(sub_account_id)
        if entry_sub_account_id != sub_account_id:
            found.append(f"usage charge {charge_id} is paid by an entry of another wallet")
        if kind != Entry.Kind.USAGE or entry_amount != -amount:
            found.append(f"usage charge {charge_id} of {amount} but its entry seq {seq} "
                         f"({kind}) moves {entry_amount}")
        if reference_id != str(charge_id):
            found.append(f"usage charge {charge_id} points at entry seq {seq}, which was made "
                         f"for charge {reference_id} (a doubled charge)")
        if key_id and binding != charge_binding(
                charge_id=charge_id, sub_account_id=sub_account_id, item_id=item_id,
                idempotency_key=key, quantity=quantity,
                unit_price=unit_price, amount=amount, base_cost_amount=base_cost,
                currency=currency):
            found.append(f"usage charge {charge_id} is not what its entry seq {seq} signed "
                         "(item, quantity, price or amount changed)")


def _usage_entries_without_charge(entries, problems) -> None:
    for sub_account_id, seq, charge_id in (
            entries.filter(reference_type="usage_charge", usage_charge__isnull=True)
            .values_list("wallet__sub_account_id", "seq", "reference_id")):
        problems(sub_account_id).append(
            f"usage entry seq {seq} was made for charge {charge_id}, which is gone")


def _wallet_charges_without_entry(charges, problems) -> None:
    for sub_account_id, charge_id, amount in (
            charges.filter(billed_to=UsageCharge.BilledTo.WALLET, entry__isnull=True,
                           amount__gt=0).values_list("sub_account_id", "id", "amount")):
        problems(sub_account_id).append(
            f"usage charge {charge_id} bills {amount} to the wallet but has no entry")


def _rollups_against_charges(charges, rollups, problems) -> None:
    """Every (client, item, day, payer): the roll-up row and the charges' sums agree."""
    sums = (charges.annotate(day=TruncDate(Coalesce("entry__created_at", "created_at"),
                                           tzinfo=UTC))
            .values_list("sub_account_id", "item_id", "day", "billed_to")
            .annotate(quantity=Sum("quantity"), amount=Sum("amount"),
                      base_cost=Sum("base_cost_amount"), count=Count("id"))
            .order_by())
    expected = {(sub, item, day, payer): (quantity, amount, base_cost, count)
                for sub, item, day, payer, quantity, amount, base_cost, count in sums}
    found = {(sub, item, day, payer): (quantity, amount, base_cost, count)
             for sub, item, day, payer, quantity, amount, base_cost, count in rollups
             .values_list("sub_account_id", "item_id", "day", "billed_to", "quantity",
                          "amount", "base_cost", "count")}
    zero = (Decimal(0), Decimal(0), Decimal(0), 0)
    for key in expected.keys() | found.keys():
        if expected.get(key, zero) != found.get(key, zero):
            sub, item, day, payer = key
            want = expected.get(key, zero)
            have = found.get(key, zero)
            problems(sub).append(
                f"usage roll-up of {item} on {day} (billed to {payer}) holds quantity "
                f"{have[0]}, amount {have[1]}, base cost {have[2]}, {have[3]} charges; its "
                f"charges add up to {want[0]}, {want[1]}, {want[2]}, {want[3]}")


def _counters_against_charges(charges, counters, anchors: dict, problems) -> None:
    """Every period counter equals its charges' quantity (charges summed per UTC day of
    occurrence, then per billing period: a period starts at midnight UTC)."""
    expected: dict[tuple, Decimal] = defaultdict(Decimal)
    for sub, item, day, quantity in (
            charges.annotate(day=TruncDate("occurred_at", tzinfo=UTC))
            .values_list("sub_account_id", "item_id", "day").annotate(q=Sum("quantity"))
            .order_by()):
        start, _ = period_bounds(anchor_day=anchors[sub],
                                 moment=datetime.combine(day, time(), tzinfo=UTC))
        expected[(sub, item, start)] += quantity
    found = {(sub, item, start.astimezone(UTC)): quantity for sub, item, start, quantity
             in counters.values_list("sub_account_id", "item_id", "period_start", "quantity")}
    for key in expected.keys() | found.keys():
        want, have = expected.get(key, Decimal(0)), found.get(key, Decimal(0))
        if want != have:
            sub, item, start = key
            problems(sub).append(
                f"usage counter of {item} for the period from {start:%Y-%m-%d} holds {have}; "
                f"its charges add up to {want}")


def usage_verify(checks: list[WalletCheck], *, wallet_ids: Iterable[int] | None = None,
                 ) -> None:
    """Add to each wallet's check the problems of its client's usage (module docstring);
    `wallet_ids` as `ledger_verify`'s (None: every client)."""
    by_sub_account = {check.sub_account_id: check for check in checks}

    def problems(sub_account_id) -> list[str]:
        key = str(sub_account_id)
        if key not in by_sub_account:  # a client without a wallet: still named
            by_sub_account[key] = WalletCheck(wallet_id=0, sub_account_id=key)
            checks.append(by_sub_account[key])
        return by_sub_account[key].problems

    charges, entries = UsageCharge.objects.all(), Entry.objects.all()
    rollups, counters = UsageDaily.objects.all(), UsageCounter.objects.all()
    clients = SubAccount.objects.all()
    if wallet_ids is not None:
        subs = list(by_sub_account)
        charges, entries = (charges.filter(sub_account_id__in=subs),
                            entries.filter(wallet__sub_account_id__in=subs))
        rollups, counters = (rollups.filter(sub_account_id__in=subs),
                             counters.filter(sub_account_id__in=subs))
        clients = clients.filter(pk__in=subs)
    anchors = dict(clients.values_list("pk", "agency__billing_anchor_day"))
    _charges_against_entries(charges, problems)
    _usage_entries_without_charge(entries, problems)
    _wallet_charges_without_entry(charges, problems)
    _rollups_against_charges(charges, rollups, problems)
    _counters_against_charges(charges, counters, anchors, problems)


def books_verify(*, wallet_ids: Iterable[int] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> list[WalletCheck]:
    """The ledger's check and usage's, wallet by wallet."""
    wallet_ids = None if wallet_ids is None else list(wallet_ids)
    checks = ledger_verify(wallet_ids=wallet_ids, progress=progress)
    usage_verify(checks, wallet_ids=wallet_ids)
    return checks
