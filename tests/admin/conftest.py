"""Helpers for the operators' admin tests (the signed-in operator, `ops`, is in
tests/conftest.py): usage charges as the usage service writes them, and a succeeded top-up
paid with a sandbox card."""

import uuid
from decimal import Decimal

from django.utils import timezone
from moneyed import Money

from subaccounts.pricing.models import BillableItem
from tests.factories import EntryFactory, ledger_post_one, wallet_with_card
from wallets.ledger.posting import Posting
from wallets.payments.topups import topup_attempt, topup_request
from wallets.usage.models import UsageCharge


def usage_charge(*, sub_account, amount="1.50", base_cost="0.80", item="sms_outbound",
                 billed_to="wallet", occurred_at=None) -> UsageCharge:
    """A usage charge with its ledger debit (rebilled) or none (absorbed by the agency)."""
    amount, base_cost = Decimal(amount), Decimal(base_cost)
    currency = sub_account.agency.currency
    key = f"usage:{uuid.uuid4()}"
    entry = None
    if billed_to == "wallet":
        entry, _ = ledger_post_one(wallet_id=sub_account.wallet.pk, posting=Posting(
            kind="usage", amount=-amount, currency=currency, idempotency_key=key,
            reference_type="usage_charge"))
    return UsageCharge.objects.create(
        agency=sub_account.agency, sub_account=sub_account,
        item=BillableItem.objects.get(code=item), idempotency_key=key, fingerprint="f" * 64,
        occurred_at=occurred_at or timezone.now(), quantity=Decimal(1),
        unit_price=Money(amount, currency), amount=Money(amount, currency),
        base_cost_unit=Money(base_cost, currency), base_cost_amount=Money(base_cost, currency),
        price_source="agency", billed_to=billed_to, entry=entry)


def paid_topup(*, amount="50.00", balance=None):
    """A wallet with a sandbox card and a succeeded manual top-up of `amount`."""
    wallet = wallet_with_card()
    if balance is not None:
        EntryFactory(wallet=wallet, amount=Decimal(balance))
    topup = topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal(amount),
                          enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "succeeded"
    wallet.refresh_from_db()
    return wallet, topup
