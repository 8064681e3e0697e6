"""The Stripe gateway: the real `stripe` SDK against the local fake Stripe server (no network)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import SubAccountFactory
from tests.wallets.crashes import topup_attempt_killed
from wallets.gateways import CardDeclined
from wallets.jobs import billing_jobs_run
from wallets.models import Entry, TopUp
from wallets.topups import payment_method_attach, topup_attempt, topup_request

pytestmark = pytest.mark.django_db

@pytest.fixture
def stripe_on(stripe_on, eager_celery):
    return stripe_on


def test_each_client_is_its_own_customer_and_declined_card_keeps_previous(stripe_on):
    first, second = SubAccountFactory(), SubAccountFactory()
    payment_method_attach(sub_account=first, payment_method="pm_card_visa")
    payment_method_attach(sub_account=second, payment_method="pm_card_mastercard")
    assert first.payment_gateway == "stripe"
    assert first.payment_customer_id != second.payment_customer_id
    assert first.payment_customer_id in stripe_on.customers
    with pytest.raises(CardDeclined):
        payment_method_attach(sub_account=first, payment_method="pm_card_chargeDeclined")
    first.refresh_from_db()
    assert (first.payment_method_id, first.card_last4) == ("pm_card_visa", "4242")


def test_topup_charges_once_even_when_the_worker_dies_after_stripe_charged(stripe_on):
    sub_account = SubAccountFactory()
    payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    topup = topup_request(wallet_id=sub_account.wallet.pk, trigger="manual",
                          amount=Decimal("12.34"), enqueue=False)
    now = timezone.now()

    topup_attempt_killed(topup, now=now)
    assert not Entry.objects.filter(kind="topup").exists()
    billing_jobs_run(now + timedelta(minutes=6))
    topup.refresh_from_db()
    assert topup.status == "succeeded"
    charged = [i for i in stripe_on.succeeded_charges() if i["id"] == topup.charge_id]
    assert [(i["amount"], i["currency"]) for i in charged] == [(1234, "usd")]
    assert len([i for i in stripe_on.intents.values()
                if i["customer"] == sub_account.payment_customer_id]) == 1
    assert Entry.objects.filter(kind="topup", idempotency_key=f"topup:{topup.pk}").count() == 1


def test_decline_and_authentication_required_through_stripe(stripe_on):
    declined = SubAccountFactory()
    payment_method_attach(sub_account=declined, payment_method="pm_card_chargeCustomerFail")
    topup = topup_request(wallet_id=declined.wallet.pk, trigger="manual", amount=Decimal("5"),
                          enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "retrying" and topup.last_error["code"] == "card_declined"

    auth = SubAccountFactory()
    payment_method_attach(sub_account=auth, payment_method="pm_card_authenticationRequired")
    topup = topup_request(wallet_id=auth.wallet.pk, trigger="manual", amount=Decimal("5"),
                          enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "requires_action" and topup.client_secret.endswith("_secret_x")
    # the client confirms on Stripe's side; our poll (the authentication page) settles it
    stripe_on.intents[topup.charge_id]["status"] = "succeeded"
    from wallets.topups import topup_authenticated

    assert topup_authenticated(topup_id=topup.pk).status == "succeeded"
    assert Entry.objects.filter(kind="topup", wallet=auth.wallet).count() == 1
    assert not TopUp.objects.filter(wallet=auth.wallet, status__in=TopUp.IN_FLIGHT).exists()
