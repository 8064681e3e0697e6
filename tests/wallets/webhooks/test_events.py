"""Every event type reaches a real receiver on loopback with a valid signature (checked with
the receiver snippet of docs/webhooks.md), written in the transaction of its change."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from subaccounts.services import subaccount_lift, subaccount_suspend
from tests.factories import SubAccountFactory, ledger_post_one, wallet_with_card
from tests.wallets.webhooks.signing import signed_by, verify
from wallets.alerts.firing import alerts_evaluate
from wallets.alerts.services import alert_settings_put
from wallets.billing.invoicing import period_close, period_get_or_create
from wallets.ledger.corrections import wallet_credit_grant
from wallets.ledger.posting import Posting
from wallets.payments.topups import topup_attempt, topup_request
from wallets.usage.rollups import rollups_add
from wallets.usage.signals import UsageFacts
from wallets.webhooks.delivery import webhook_deliveries_due
from wallets.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEvent
from wallets.webhooks.services import webhook_endpoint_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_server")]


def deliver():
    return webhook_deliveries_due(timezone.now() + timedelta(seconds=1))


def test_every_event_type_is_delivered_signed_with_the_client_and_amounts_as_strings(
        receiver, endpoint):
    agency = endpoint.agency
    # topup.succeeded and topup.failed: a card that works and one that is declined
    paying = wallet_with_card(agency=agency, balance="10")
    topup_attempt(topup_id=topup_request(wallet_id=paying.pk, trigger="manual",
                                         amount=Decimal("25"), enqueue=False).pk)
    declined = wallet_with_card(agency=agency, payment_method="pm_card_chargeCustomerFail",
                                balance="10")
    topup_attempt(topup_id=topup_request(wallet_id=declined.pk, trigger="manual",
                                         amount=Decimal("25"), enqueue=False).pk)
    # subaccount.suspended and subaccount.resumed
    client = endpoint.client
    subaccount_suspend(sub_account=client, reason="agency", note="Unpaid invoice",
                       items=["sms_outbound"], actor_label="test")
    subaccount_lift(sub_account=client, actor_label="test")
    # credit.granted
    wallet_credit_grant(sub_account=client, amount="7.50", reason="Goodwill")
    # wallet.low_balance and usage.spend_alert
    alert_settings_put(agency=agency, spend=[{"amount": Decimal("5"), "window": "day"}],
                       low_balance=["50"])
    watched = wallet_with_card(agency=agency, balance="100")
    ledger_post_one(wallet_id=watched.pk, posting=Posting(
        kind="usage", amount=Decimal("-60"), currency="USD", idempotency_key="u:1"))
    rollups_add(charges=[UsageFacts(
        agency_id=agency.pk, sub_account_id=watched.sub_account_id, item_id="sms_outbound",
        billed_to="wallet", quantity=Decimal(1), amount=Decimal("6"),
        base_cost_amount=Decimal(0), reached_ledger_at=timezone.now())])
    alerts_evaluate(sub_account_ids=[watched.sub_account_id], now=timezone.now())
    # invoice.issued
    period = period_get_or_create(agency=agency, moment=timezone.now())
    period_close(period=period, now=period.end)

    deliver()

    events = receiver.events()
    assert {event["type"] for event in events} == set(EVENT_TYPES)
    assert all(signed_by(request, endpoint.raw_secret) for request in receiver.requests)
    assert all(request["path"] == "/hooks?src=hb" for request in receiver.requests)
    by_type = {}
    for event in events:
        by_type.setdefault(event["type"], event)
        assert event["id"].startswith("evt_") and len(event["id"]) == 30
        assert set(event) == {"id", "type", "created", "data"}
        assert set(event["data"]["sub_account"]) == {"id", "external_id"}
    succeeded = by_type["topup.succeeded"]["data"]
    assert (succeeded["amount"], succeeded["currency"]) == ("25.000000", "USD")
    assert succeeded["sub_account"]["id"] == str(paying.sub_account_id)
    failed = by_type["topup.failed"]["data"]
    assert failed["retries_left"] is True and failed["attempt"] == 1
    suspended = by_type["subaccount.suspended"]["data"]
    assert suspended == {**suspended, "reason": "agency", "items": ["sms_outbound"],
                         "sub_account": {"id": str(client.pk), "external_id": "crm-42"}}
    assert by_type["subaccount.resumed"]["data"]["reason"] == "agency"
    credit = by_type["credit.granted"]["data"]
    assert (Decimal(credit["amount"]), credit["reason"]) == (Decimal("7.5"), "Goodwill")
    assert by_type["wallet.low_balance"]["data"]["level"] == "50"
    assert by_type["usage.spend_alert"]["data"]["window"] == "day"
    invoice = by_type["invoice.issued"]["data"]
    assert invoice["currency"] == "USD" and isinstance(invoice["closing_balance"], str)
    assert WebhookDelivery.objects.filter(status="succeeded").count() == len(events)
    # and nothing is sent twice once delivered
    deliver()
    assert len(receiver.requests) == len(events)


def test_the_documented_receiver_refuses_a_tampered_body_a_wrong_secret_and_an_old_stamp(
        receiver, endpoint):
    wallet_credit_grant(sub_account=endpoint.client, amount="1", reason="Promo")
    deliver()
    [request] = receiver.requests
    header, body = request["headers"]["HoopBilling-Signature"], request["body"]
    stamp = int(header.split(",")[0][2:])
    assert verify(endpoint.raw_secret, header, body)
    assert not verify(endpoint.raw_secret, header, body.replace(b"Promo", b"Prom0"))
    assert not verify("whsec_wrong", header, body)
    assert not verify(endpoint.raw_secret, header, body, now=stamp + 301)
    assert verify(endpoint.raw_secret, header, body, now=stamp + 299)


def test_a_rolled_back_change_writes_no_event_and_sends_nothing(receiver, endpoint):
    with pytest.raises(RuntimeError), transaction.atomic():
        subaccount_suspend(sub_account=endpoint.client, reason="agency", note="x",
                           actor_label="test")
        assert WebhookEvent.objects.count() == 1  # written inside the transaction
        raise RuntimeError("the change fails after the event was written")
    assert WebhookEvent.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0
    deliver()
    assert receiver.requests == []


def test_another_agency_never_receives_a_foreign_event(receiver, endpoint):
    # given a second agency with its own endpoint at another receiver path
    other_client = SubAccountFactory()
    other, other_secret = webhook_endpoint_create(agency=other_client.agency,
                                                  url=receiver.url.replace("hooks", "other"),
                                                  events=["*"])
    # when each agency's client is credited
    wallet_credit_grant(sub_account=endpoint.client, amount="1", reason="Ours")
    wallet_credit_grant(sub_account=other_client, amount="2", reason="Theirs")
    deliver()
    # then each endpoint got its own agency's event only, signed with its own secret
    ours = [r for r in receiver.requests if r["path"].startswith("/hooks")]
    theirs = [r for r in receiver.requests if r["path"].startswith("/other")]
    assert len(ours) == len(theirs) == 1
    assert signed_by(ours[0], endpoint.raw_secret) and signed_by(theirs[0], other_secret)
    assert not signed_by(ours[0], other_secret)
    assert b"Ours" in ours[0]["body"] and b"Theirs" in theirs[0]["body"]


def test_an_endpoint_hears_only_its_types_and_a_replayed_credit_sends_nothing(
        receiver, endpoint):
    endpoint.events = ["credit.granted"]
    endpoint.save()
    subaccount_suspend(sub_account=endpoint.client, reason="agency", note="x",
                       actor_label="test")
    wallet_credit_grant(sub_account=endpoint.client, amount="3", reason="Once",
                        idempotency_key="credit-1")
    wallet_credit_grant(sub_account=endpoint.client, amount="3", reason="Once",
                        idempotency_key="credit-1")
    deliver()
    assert [e["type"] for e in receiver.events()] == ["credit.granted"]


def test_an_agency_without_endpoints_writes_no_event(receiver):
    client = SubAccountFactory()
    wallet_credit_grant(sub_account=client, amount="3", reason="Nobody listens")
    assert WebhookEvent.objects.count() == 0
