"""Stripe webhooks through dj-stripe's endpoint: signed as Stripe signs them, applied once
against what the (fake) Stripe says, whichever of webhook and poll comes first."""

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import stripe
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from djstripe.models import Event, WebhookEndpoint

from tests.factories import SubAccountFactory
from tests.fakestripe.server import signature
from tests.wallets.payments.crashes import topup_attempt_killed
from wallets.billing.jobs import billing_jobs_run
from wallets.ledger.models import Entry
from wallets.payments.cards import payment_method_attach
from wallets.payments.models import PaymentEvent, TopUp
from wallets.payments.topups import topup_attempt, topup_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledger_checked")]

SECRET = "whsec_test_hoopbilling"


@pytest.fixture
def stripe_on(stripe_on, settings, eager_celery):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    call_command("stripe_webhook_setup", stdout=io.StringIO())
    return stripe_on


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST an event to dj-stripe's endpoint, signed with `secret`; after-commit work runs."""

    def post(event, *, secret=SECRET, header=True):
        endpoint = WebhookEndpoint.objects.get()
        payload = json.dumps(event)
        headers = {"HTTP_STRIPE_SIGNATURE": signature(payload, secret)} if header else {}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("djstripe:djstripe_webhook_by_uuid",
                        kwargs={"uuid": endpoint.djstripe_uuid}),
                data=payload, content_type="application/json", **headers)

    return post


def charged_topup(fake, *, card="pm_card_visa", amount="12.34"):
    """A top-up whose charge Stripe made, as a worker killed before posting it leaves it."""
    sub_account = SubAccountFactory()
    payment_method_attach(sub_account=sub_account, payment_method=card)
    topup = topup_request(wallet_id=sub_account.wallet.pk, trigger="manual",
                          amount=Decimal(amount), enqueue=False)
    return sub_account, topup


def intent_of(fake, topup):
    [intent] = [i for i in fake.intents.values() if i["metadata"].get("topup") == str(topup.pk)]
    return intent


def kill_after_charge(topup, now=None):
    """The worker dies once Stripe answered, before the answer is applied."""
    topup_attempt_killed(topup, now=now, dies_in="topup_result_apply")


def test_signed_webhook_settles_a_topup_once(stripe_on, deliver, monkeypatch):
    # given a charge Stripe made whose worker died before posting it
    sub_account, topup = charged_topup(stripe_on)
    kill_after_charge(topup)
    assert not Entry.objects.filter(kind="topup").exists()
    event = stripe_on.event("payment_intent.succeeded", intent_of(stripe_on, topup))
    # when Stripe's webhook arrives
    response = deliver(event)
    # then the wallet is credited once and the processing is recorded
    assert response.status_code == 200
    topup.refresh_from_db()
    assert topup.status == "succeeded"
    sub_account.wallet.refresh_from_db()
    assert sub_account.wallet.balance.amount == Decimal("12.34")
    row = PaymentEvent.objects.get(event_id=event["id"])
    assert (row.status, row.outcome, row.tries) == ("succeeded", "settled", 1)
    # and the poll that follows (the lease ran out) changes nothing
    billing_jobs_run(timezone.now() + timedelta(minutes=6))
    assert Entry.objects.filter(kind="topup", wallet=sub_account.wallet).count() == 1


def test_duplicate_webhook_changes_nothing(stripe_on, deliver, monkeypatch):
    sub_account, topup = charged_topup(stripe_on)
    kill_after_charge(topup)
    event = stripe_on.event("payment_intent.succeeded", intent_of(stripe_on, topup))
    assert deliver(event).status_code == 200
    assert deliver(event).status_code == 200
    assert Entry.objects.filter(kind="topup", wallet=sub_account.wallet).count() == 1
    assert PaymentEvent.objects.get(event_id=event["id"]).tries == 1
    assert Event.objects.filter(id=event["id"]).count() == 1


def test_success_before_the_poll_then_a_late_failure_change_nothing_wrong(
        stripe_on, deliver, monkeypatch):
    # given a top-up whose attempt is still waiting for its answer
    sub_account, topup = charged_topup(stripe_on)
    kill_after_charge(topup)
    intent = intent_of(stripe_on, topup)
    failed_earlier = stripe_on.event(
        "payment_intent.payment_failed",
        {**intent, "status": "requires_payment_method",
         "last_payment_error": {"code": "card_declined", "message": "declined"}})
    # when success arrives first, then a failure for the same payment
    deliver(stripe_on.event("payment_intent.succeeded", intent))
    deliver(failed_earlier)
    # then it stays settled once, with no failure, retry or alert
    topup.refresh_from_db()
    assert topup.status == "succeeded" and topup.last_error is None
    assert not sub_account.notifications.filter(kind="payment_failed").exists()
    assert PaymentEvent.objects.get(event_id=failed_earlier["id"]).outcome == "already settled"
    # and the attempt the worker repeats later answers the same charge
    billing_jobs_run(timezone.now() + timedelta(minutes=6))
    assert Entry.objects.filter(kind="topup", wallet=sub_account.wallet).count() == 1


def test_failure_webhook_schedules_the_retry_once(stripe_on, deliver, monkeypatch):
    sub_account, topup = charged_topup(stripe_on, card="pm_card_chargeCustomerFail")
    kill_after_charge(topup)
    event = stripe_on.event("payment_intent.payment_failed", intent_of(stripe_on, topup))
    deliver(event)
    deliver(stripe_on.event("payment_intent.payment_failed", intent_of(stripe_on, topup)))
    topup.refresh_from_db()
    assert topup.status == "retrying" and topup.last_error["code"] == "card_declined"
    assert sub_account.notifications.filter(kind="payment_failed").count() == 1
    assert not Entry.objects.filter(kind="topup").exists()


def test_a_failure_about_an_earlier_attempt_leaves_the_current_one_alone(
        stripe_on, deliver, monkeypatch):
    sub_account, topup = charged_topup(stripe_on, card="pm_card_chargeCustomerFail")
    topup = topup_attempt(topup_id=topup.pk)  # attempt 1 declined, retry scheduled
    stale = stripe_on.event("payment_intent.payment_failed", intent_of(stripe_on, topup),
                            created=int(timezone.now().timestamp()) - 60)
    kill_after_charge(topup, now=topup.next_attempt_at + timedelta(seconds=1))
    deliver(stale)
    topup.refresh_from_db()
    assert topup.status == "processing" and topup.attempts == 2
    assert sub_account.notifications.filter(kind="payment_failed").count() == 1


def test_requires_action_webhook_asks_the_client_to_authenticate(
        stripe_on, deliver, monkeypatch, mailoutbox):
    sub_account, topup = charged_topup(stripe_on, card="pm_card_authenticationRequired")
    kill_after_charge(topup)
    deliver(stripe_on.event("payment_intent.requires_action", intent_of(stripe_on, topup)))
    topup.refresh_from_db()
    assert topup.status == "requires_action" and topup.client_secret.endswith("_secret_x")
    assert sub_account.notifications.filter(kind="authentication_required").count() == 1


@pytest.mark.parametrize("secret, header", [("whsec_wrong", True), (SECRET, False)])
def test_unsigned_or_badly_signed_webhook_is_refused_and_writes_nothing(
        stripe_on, deliver, monkeypatch, secret, header):
    sub_account, topup = charged_topup(stripe_on)
    kill_after_charge(topup)
    event = stripe_on.event("payment_intent.succeeded", intent_of(stripe_on, topup))
    response = deliver(event, secret=secret, header=header)
    assert response.status_code == 400
    assert not Event.objects.exists() and not PaymentEvent.objects.exists()
    topup.refresh_from_db()
    assert topup.status == "processing"
    assert not Entry.objects.filter(kind="topup").exists()


def test_webhook_for_another_agency_or_an_unknown_intent_is_ignored(
        stripe_on, deliver, monkeypatch):
    # given a top-up of one agency and a charge Stripe holds for another client
    sub_account, topup = charged_topup(stripe_on)
    kill_after_charge(topup)
    other, other_topup = charged_topup(stripe_on)
    kill_after_charge(other_topup)
    other_intent = intent_of(stripe_on, other_topup)
    forged = {**other_intent, "metadata": {"topup": str(topup.pk)}}
    unknown = {**other_intent, "id": "pi_unknown", "metadata": {"topup": str(topup.pk)}}
    foreign = {**other_intent, "id": "pi_elsewhere", "metadata": {}}
    # when events about them arrive, claiming to be about our top-up or about nothing of ours
    for obj in (forged, unknown, foreign):
        assert deliver(stripe_on.event("payment_intent.succeeded", obj)).status_code == 200
    # then nothing is credited and each is recorded as ignored
    topup.refresh_from_db()
    assert topup.status == "processing"
    assert not Entry.objects.filter(kind="topup").exists()
    outcomes = sorted(PaymentEvent.objects.values_list("outcome", flat=True))
    assert outcomes == ["ignored: no such payment in the agency's Stripe account",
                        "ignored: not one of our Stripe top-ups",
                        "ignored: the payment belongs to another top-up"]


def test_setup_intent_webhook_puts_the_card_on_file_and_retries_the_unpaid_topup(
        stripe_on, deliver):
    # given a client whose top-up was declined, and a new card confirmed in the browser
    sub_account, topup = charged_topup(stripe_on, card="pm_card_chargeCustomerFail")
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "retrying"
    setup = stripe_on.handle("POST", "/v1/setup_intents", {
        "customer": sub_account.payment_customer_id, "payment_method": "pm_card_mastercard"},
        None)[1]
    # when Stripe reports it
    deliver(stripe_on.event("setup_intent.succeeded", setup))
    # then the card is on file and the top-up is paid with it at once
    sub_account.refresh_from_db()
    assert (sub_account.payment_method_id, sub_account.card_last4) == (
        "pm_card_mastercard", "4444")
    topup.refresh_from_db()
    assert topup.status == "succeeded"
    # and the card's own attachment event changes nothing more
    method = stripe_on.handle("GET", "/v1/payment_methods/pm_card_mastercard", {}, None)[1]
    deliver(stripe_on.event("payment_method.attached", method))
    assert PaymentEvent.objects.filter(outcome="already on file").count() == 1


def test_card_webhook_for_another_customer_or_an_older_card_is_ignored(stripe_on, deliver):
    sub_account, _ = charged_topup(stripe_on)
    other = SubAccountFactory()
    payment_method_attach(sub_account=other, payment_method="pm_card_mastercard")
    # a card attached to another client's customer, claimed for this one
    method = stripe_on.handle("GET", "/v1/payment_methods/pm_card_mastercard", {}, None)[1]
    deliver(stripe_on.event("payment_method.attached",
                            {**method, "customer": sub_account.payment_customer_id}))
    # an attachment older than the card now on file
    deliver(stripe_on.event("payment_method.attached",
                            {**method, "id": "pm_card_chargeCustomerFail",
                             "customer": sub_account.payment_customer_id},
                            created=int(timezone.now().timestamp()) - 3600))
    sub_account.refresh_from_db()
    assert sub_account.payment_method_id == "pm_card_visa"
    assert sorted(PaymentEvent.objects.values_list("outcome", flat=True)) == [
        "ignored: older than the card on file",
        "ignored: the card is not attached to this client"]


def test_a_failed_processing_is_recorded_and_replayed_by_the_billing_job(
        stripe_on, deliver, monkeypatch):
    sub_account, topup = charged_topup(stripe_on)
    kill_after_charge(topup)
    event = stripe_on.event("payment_intent.succeeded", intent_of(stripe_on, topup))

    def unavailable(self, **kwargs):
        raise stripe.APIConnectionError("Stripe is unreachable")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("wallets.payments.gateways.stripe.StripeGateway.charge_retrieve", unavailable)
        deliver(event)
    row = PaymentEvent.objects.get(event_id=event["id"])
    assert row.status == "failed" and row.error["type"] == "APIConnectionError"
    billing_jobs_run(timezone.now())
    row.refresh_from_db()
    assert (row.status, row.tries, row.outcome) == ("succeeded", 2, "settled")
    assert TopUp.objects.get(pk=topup.pk).status == "succeeded"

