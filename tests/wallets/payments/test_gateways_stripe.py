"""The Stripe gateway: the real `stripe` SDK against the local fake Stripe server (no network)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import EntryFactory, SubAccountFactory
from tests.wallets.payments.crashes import topup_attempt_killed
from wallets.billing.jobs import billing_jobs_run
from wallets.ledger.models import Entry
from wallets.payments.autotopup import wallet_settings_set
from wallets.payments.cards import payment_method_attach
from wallets.payments.gateways import CardDeclined
from wallets.payments.models import TopUp
from wallets.payments.topups import topup_attempt, topup_request

pytestmark = pytest.mark.django_db

@pytest.fixture
def stripe_on(stripe_on, eager_celery):
    return stripe_on


def tried_once(payment_method: str, *, amount="5", max_balance=None):
    """A client with `payment_method` on file (and a cap) whose manual top-up of `amount` has
    had its first attempt; and the moment of that attempt."""
    sub_account = SubAccountFactory()
    payment_method_attach(sub_account=sub_account, payment_method=payment_method)
    if max_balance is not None:
        wallet_settings_set(wallet=sub_account.wallet, max_balance=max_balance)
    topup = topup_request(wallet_id=sub_account.wallet.pk, trigger="manual",
                          amount=Decimal(amount), enqueue=False)
    now = timezone.now()
    return sub_account, topup_attempt(topup_id=topup.pk, now=now), now


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
    from wallets.payments.topups import topup_authenticated

    assert topup_authenticated(topup_id=topup.pk).status == "succeeded"
    assert Entry.objects.filter(kind="topup", wallet=auth.wallet).count() == 1
    assert not TopUp.objects.filter(wallet=auth.wallet, status__in=TopUp.IN_FLIGHT).exists()


def test_a_retry_settles_a_payment_the_client_authenticated_while_we_heard_nothing(stripe_on):
    sub_account, topup, now = tried_once("pm_card_authenticationRequired")
    assert topup.status == "requires_action"
    # the client confirms with the bank; neither our page's callback nor the webhook arrives
    stripe_on.intents[topup.charge_id]["status"] = "succeeded"

    billing_jobs_run(now + timedelta(hours=2))  # the first retry is due after 1 hour
    topup.refresh_from_db()
    assert topup.status == "succeeded"
    assert Entry.objects.filter(kind="topup", wallet=sub_account.wallet).count() == 1
    assert [i["id"] for i in stripe_on.intents.values()
            if i["customer"] == sub_account.payment_customer_id] == [topup.charge_id]


def test_a_retry_after_stripe_forgot_the_key_charges_the_same_payment_intent(
        stripe_on, django_capture_on_commit_callbacks):
    sub_account, topup, _ = tried_once("pm_card_chargeCustomerFail")
    assert topup.status == "retrying"
    stripe_on.idempotency_keys_expire()  # Stripe keeps a key for 24 hours

    with django_capture_on_commit_callbacks(execute=True):  # a new card retries at once
        payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    topup.refresh_from_db()
    assert topup.status == "succeeded"
    intents = [i for i in stripe_on.intents.values()
               if i["customer"] == sub_account.payment_customer_id]
    assert [(i["id"], i["status"]) for i in intents] == [(topup.charge_id, "succeeded")]


def test_a_payment_intent_cancelled_at_stripe_is_replaced_by_the_next_attempt(
        stripe_on, django_capture_on_commit_callbacks):
    sub_account, topup, _ = tried_once("pm_card_chargeCustomerFail")
    cancelled = topup.charge_id
    stripe_on.intents[cancelled]["status"] = "canceled"  # from Stripe's dashboard, say

    with django_capture_on_commit_callbacks(execute=True):
        payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    topup.refresh_from_db()
    assert topup.status == "succeeded" and topup.charge_id != cancelled
    assert [i["id"] for i in stripe_on.succeeded_charges()
            if i["customer"] == sub_account.payment_customer_id] == [topup.charge_id]
    assert Entry.objects.filter(kind="topup", wallet=sub_account.wallet).count() == 1


def test_a_confirmation_stripe_refuses_is_a_declined_attempt_with_stripes_reason(stripe_on):
    sub_account = SubAccountFactory()
    payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    type(sub_account).objects.filter(pk=sub_account.pk).update(payment_method_id="pm_detached")
    topup = topup_request(wallet_id=sub_account.wallet.pk, trigger="manual",
                          amount=Decimal("5"), enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "retrying"
    assert topup.last_error == {"code": "resource_missing", "message": "No such PaymentMethod"}
    assert not [i for i in stripe_on.succeeded_charges()
                if i["customer"] == sub_account.payment_customer_id]


def test_a_retry_called_off_for_the_maximum_cancels_the_payment_intent_at_stripe(
        stripe_on, django_capture_on_commit_callbacks):
    sub_account, topup, _ = tried_once("pm_card_chargeCustomerFail", amount="8",
                                       max_balance="10")
    EntryFactory(wallet=sub_account.wallet, amount=Decimal("5"))

    with django_capture_on_commit_callbacks(execute=True):
        payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    topup.refresh_from_db()
    assert topup.status == "canceled"
    assert stripe_on.intents[topup.charge_id]["status"] == "canceled"
    assert not Entry.objects.filter(kind="topup", wallet=sub_account.wallet).exists()


def test_a_retry_called_off_settles_a_payment_made_meanwhile(stripe_on):
    sub_account, topup, now = tried_once("pm_card_authenticationRequired", amount="8",
                                         max_balance="10")
    assert topup.status == "requires_action"
    EntryFactory(wallet=sub_account.wallet, amount=Decimal("5"))
    stripe_on.intents[topup.charge_id]["status"] = "succeeded"  # the client authenticated

    topup = topup_attempt(topup_id=topup.pk, now=now + timedelta(hours=2))
    assert topup.status == "succeeded"  # the money was taken: it is credited
    assert Entry.objects.filter(kind="topup", wallet=sub_account.wallet).count() == 1


def test_a_retry_of_a_charge_this_stripe_account_cannot_see_makes_its_own(
        stripe_on, django_capture_on_commit_callbacks):
    # made by the sandbox, or before the agency changed its Stripe account
    sub_account, topup, _ = tried_once("pm_card_chargeCustomerFail")
    TopUp.objects.filter(pk=topup.pk).update(charge_id="pi_of_another_account")

    with django_capture_on_commit_callbacks(execute=True):
        payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    topup.refresh_from_db()
    assert topup.status == "succeeded" and topup.charge_id in stripe_on.intents
    assert Entry.objects.filter(kind="topup", wallet=sub_account.wallet).count() == 1
