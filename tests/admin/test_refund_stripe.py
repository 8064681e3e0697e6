"""Refunding a top-up through the Stripe gateway: the official SDK against the fake Stripe
server, with the refund's own idempotency key `refund:<refund id>`."""

from decimal import Decimal

import pytest

from tests.factories import SubAccountFactory
from wallets.ledger.models import Entry
from wallets.payments.cards import payment_method_attach
from wallets.payments.corrections import topup_refund
from wallets.payments.gateways import RefundFailed
from wallets.payments.gateways.stripe import StripeGateway
from wallets.payments.topups import topup_attempt, topup_request

pytestmark = pytest.mark.django_db

def test_refund_goes_to_stripe_once_with_its_key_and_posts_the_refund_entry(stripe_on):
    sub_account = SubAccountFactory()
    payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    topup = topup_request(wallet_id=sub_account.wallet.pk, trigger="manual",
                          amount=Decimal("40"), enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "succeeded" and topup.gateway == "stripe"
    # when
    refund = topup_refund(topup_id=topup.pk, amount=Decimal("15.00"), reason="duplicate")
    entry = refund.entry
    # then
    refunds = [r for r in stripe_on.requests if r[1] == "/v1/refunds"]
    assert refunds == [("POST", "/v1/refunds", f"refund:{refund.pk}")]
    assert stripe_on.intents[topup.charge_id]["amount_refunded"] == 1500
    assert entry.kind == "refund" and entry.amount.amount == Decimal("-15.00")
    assert entry.memo.startswith("re_")
    assert Entry.objects.filter(kind="refund").count() == 1


def test_stripe_refusing_a_refund_is_a_typed_error(stripe_on):
    gateway = StripeGateway(agency=SubAccountFactory().agency)
    with pytest.raises(RefundFailed) as caught:
        gateway.refund(charge_id="pi_unknown", amount_minor=100, currency="USD",
                       idempotency_key="refund:x")
    assert caught.value.code == "refund_failed"
