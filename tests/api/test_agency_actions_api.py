"""The agency's actions on a client through the API (docs/api.md#agency-actions): credit,
refund, retry, suspend, resume and the card link; their idempotency keys and tenancy."""

from decimal import Decimal

import pytest
from django.utils import timezone

from agencies.models import Agency
from hoopbilling.models import AuditLog, OutgoingEmail
from subaccounts.services import payment_method_set
from tests.factories import (
    ApiKeyFactory,
    ClientMembershipFactory,
    EntryFactory,
    SubAccountFactory,
)
from wallets.ledger.models import Entry
from wallets.payments.cards import payment_method_attach
from wallets.payments.models import TopUp, TopUpAttempt, TopUpRefund
from wallets.payments.topups import topup_attempt, topup_request
from wallets.usage.models import UsageCharge

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery", "ledger_checked")]


def paid_topup(sub_account, amount="50.00") -> TopUp:
    payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    topup = topup_request(wallet_id=sub_account.wallet.pk, trigger="manual",
                          amount=Decimal(amount), enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "succeeded"
    return topup


def failed_topup(sub_account) -> TopUp:
    """A top-up whose card was declined with no retry left (the client is suspended)."""
    Agency.objects.filter(pk=sub_account.agency_id).update(retry_schedule_hours=[])
    payment_method_attach(sub_account=sub_account, payment_method="pm_card_chargeCustomerFail")
    topup = topup_request(wallet_id=sub_account.wallet.pk, trigger="manual",
                          amount=Decimal("25"), enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "failed"
    return topup


def url(sub_account, tail):
    return f"/api/v1/subaccounts/{sub_account.pk}/{tail}"


# -- credit -------------------------------------------------------------------------------

def test_credit_gives_the_client_money_as_a_credit_entry_with_its_audit_row(api, sub_account):
    response = api.post(url(sub_account, "wallet/credits"),
                        {"amount": "12.50", "reason": "goodwill"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["currency"], body["reason"], body["wallet_balance"]) == (
        "12.500000", "USD", "goodwill", "12.500000")
    assert set(body) == {"id", "amount", "currency", "reason", "wallet_balance", "created_at"}
    [entry] = Entry.objects.all()
    assert (entry.kind, str(entry.pk)) == ("credit", body["id"])
    row = AuditLog.objects.get(action="wallet.credit")
    assert row.reason == "goodwill" and row.after["amount"] == "12.50"
    sub_account.wallet.refresh_from_db()
    assert sub_account.wallet.balance.amount == Decimal("12.50")


def test_credit_replayed_with_its_key_answers_the_first_credit_and_posts_nothing(
        api, sub_account):
    body = {"amount": "5.00", "reason": "promo", "idempotency_key": "credit-1"}
    first = api.post(url(sub_account, "wallet/credits"), body, format="json")
    again = api.post(url(sub_account, "wallet/credits"), body, format="json")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Entry.objects.count() == 1
    other = SubAccountFactory(agency=api.agency)
    for path, request in [
            (url(sub_account, "wallet/credits"), {**body, "amount": "6.00"}),
            (url(sub_account, "wallet/credits"), {**body, "reason": "other"}),
            (url(other, "wallet/credits"), body),  # keys are the agency's, not the client's
            (url(sub_account, "suspend"), {"reason": "x", "idempotency_key": "credit-1"})]:
        conflict = api.post(path, request, format="json")
        assert conflict.status_code == 409, (path, request)
        assert conflict.json()["error"]["code"] == "idempotency_conflict"
    assert Entry.objects.count() == 1
    sub_account.refresh_from_db()
    assert not sub_account.suspended


def test_an_idempotency_key_of_another_agency_is_its_own(api, sub_account):
    body = {"amount": "5.00", "reason": "promo", "idempotency_key": "same"}
    other_key = ApiKeyFactory()
    other = SubAccountFactory(agency=other_key.agency)
    api.post(url(sub_account, "wallet/credits"), body, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other_key.raw_key}")
    response = api.post(url(other, "wallet/credits"), {**body, "amount": "7.00"},
                        format="json")
    assert response.status_code == 201 and Entry.objects.count() == 2


@pytest.mark.parametrize(("amount", "field"), [
    ("0", "amount"), ("-5", "amount"), ("1.005", "amount"), (5.5, "amount"),
    ("1e3", "amount"), ("1000000001", "amount"), (None, "amount")])
def test_credit_refuses_bad_amounts_naming_the_field(api, sub_account, amount, field):
    body = {"reason": "x"} if amount is None else {"amount": amount, "reason": "x"}
    response = api.post(url(sub_account, "wallet/credits"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Entry.objects.exists()


def test_credit_needs_a_reason(api, sub_account):
    for body in ({"amount": "5"}, {"amount": "5", "reason": ""}, {"amount": "5", "reason": "  "}):
        response = api.post(url(sub_account, "wallet/credits"), body, format="json")
        assert response.status_code == 400
        assert "reason" in response.json()["error"]["fields"]
    assert not Entry.objects.exists()


# -- refund -------------------------------------------------------------------------------

def test_partial_refunds_repeat_up_to_the_charge_and_never_beyond(api, sub_account):
    topup = paid_topup(sub_account, "50.00")
    path = url(sub_account, f"topups/{topup.pk}/refund")
    first = api.post(path, {"amount": "20.00", "reason": "overcharged"}, format="json")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["amount"], body["status"], body["wallet_balance"], body["topup"]) == (
        "20.000000", "succeeded", "30.000000", str(topup.pk))
    too_much = api.post(path, {"amount": "30.01", "reason": "x"}, format="json")
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "refund_too_large"
    assert "amount" in too_much.json()["error"]["fields"]
    rest = api.post(path, {"reason": "the rest"}, format="json")  # no amount: what is left
    assert rest.status_code == 201 and rest.json()["amount"] == "30.000000"
    done = api.post(path, {"amount": "0.01", "reason": "x"}, format="json")
    assert done.status_code == 409 and done.json()["error"]["code"] == "already_refunded"
    refunds = Entry.objects.filter(kind="refund")
    assert sorted(e.amount.amount for e in refunds) == [Decimal("-30"), Decimal("-20")]
    assert all(e.corrects_id == topup.entry_id for e in refunds)
    sub_account.wallet.refresh_from_db()
    assert sub_account.wallet.balance.amount == 0


def test_refund_replayed_with_its_key_refunds_once(api, sub_account, monkeypatch):
    topup = paid_topup(sub_account, "50.00")
    calls = []
    from wallets.payments.gateways.sandbox import SandboxGateway
    original = SandboxGateway.refund

    def counted(self, **kwargs):
        calls.append(kwargs["idempotency_key"])
        return original(self, **kwargs)

    monkeypatch.setattr(SandboxGateway, "refund", counted)
    path = url(sub_account, f"topups/{topup.pk}/refund")
    body = {"amount": "10.00", "reason": "dup", "idempotency_key": "r-1"}
    first = api.post(path, body, format="json")
    again = api.post(path, body, format="json")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    [refund] = TopUpRefund.objects.all()
    assert calls == [f"refund:{refund.pk}"]
    conflict = api.post(path, {**body, "amount": "11.00"}, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_conflict"
    assert Entry.objects.filter(kind="refund").count() == 1


def test_refund_of_a_top_up_that_is_not_settled_is_refused(api, sub_account):
    topup = failed_topup(sub_account)
    response = api.post(url(sub_account, f"topups/{topup.pk}/refund"), {"reason": "x"},
                        format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_refundable"
    assert not TopUpRefund.objects.exists()


def test_refund_more_than_the_wallet_holds_is_refused_naming_the_amount(api, sub_account):
    topup = paid_topup(sub_account, "50.00")
    EntryFactory(wallet=sub_account.wallet, amount=Decimal("-45"))  # 5 left
    response = api.post(url(sub_account, f"topups/{topup.pk}/refund"),
                        {"amount": "10.00", "reason": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "refund_too_large"
    assert "amount" in response.json()["error"]["fields"]
    assert not TopUpRefund.objects.exists()


def test_refund_through_stripe_calls_stripe_once_per_refund_with_its_own_key(stripe_on, key):
    from rest_framework.test import APIClient
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
    sub_account = SubAccountFactory(agency=key.agency)
    topup = paid_topup(sub_account, "40.00")
    path = url(sub_account, f"topups/{topup.pk}/refund")
    for _ in range(2):
        response = api.post(path, {"amount": "15.00", "reason": "dup",
                                   "idempotency_key": "s-1"}, format="json")
        assert response.status_code == 201
    api.post(path, {"amount": "5.00", "reason": "more"}, format="json")
    refunds = [r for r in stripe_on.requests if r[1] == "/v1/refunds"]
    keys = [f"refund:{r.pk}" for r in TopUpRefund.objects.order_by("created_at")]
    assert refunds == [("POST", "/v1/refunds", k) for k in keys] and len(keys) == 2
    assert stripe_on.intents[topup.charge_id]["amount_refunded"] == 2000


# -- retry --------------------------------------------------------------------------------

def test_retry_charges_a_failed_top_up_now_and_a_replay_charges_nothing(api, sub_account):
    topup = failed_topup(sub_account)
    sub_account.refresh_from_db()
    payment_method_set(sub_account=sub_account, gateway="sandbox",
                       customer_id=sub_account.payment_customer_id,
                       payment_method_id="pm_card_visa", brand="visa", last4="4242")
    path = url(sub_account, f"topups/{topup.pk}/retry")
    response = api.post(path, {"idempotency_key": "retry-1"}, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "succeeded" and response.json()["id"] == str(topup.pk)
    again = api.post(path, {"idempotency_key": "retry-1"}, format="json")
    assert again.status_code == 202 and again.json()["status"] == "succeeded"
    assert TopUpAttempt.objects.filter(topup=topup).count() == 2
    refused = api.post(path, {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_retryable"


# -- suspend / resume ---------------------------------------------------------------------

def test_suspend_blocks_only_the_chosen_items(api, sub_account):
    EntryFactory(wallet=sub_account.wallet, amount=Decimal("100"))
    response = api.post(url(sub_account, "suspend"),
                        {"items": ["sms_outbound"], "reason": "disputed traffic"},
                        format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["suspension_reason"] == "agency"
    assert response.json()["suspended"] is True
    sms = api.post("/api/v1/usage", {"sub_account": str(sub_account.pk),
                                     "item": "sms_outbound", "idempotency_key": "u1",
                                     "quantity": "1"}, format="json")
    assert sms.status_code == 402 and sms.json()["error"]["code"] == "sub_account_suspended"
    call = api.post("/api/v1/usage", {"sub_account": str(sub_account.pk),
                                      "item": "call_outbound", "idempotency_key": "u2",
                                      "duration_seconds": 60}, format="json")
    assert call.status_code == 201 and call.json()["billed_to"] == "wallet"
    assert [c.item.code for c in UsageCharge.objects.all()] == ["call_outbound"]
    row = AuditLog.objects.get(action="subaccount.suspend")
    assert row.reason == "disputed traffic" and row.after["items"] == ["sms_outbound"]


def test_suspend_without_items_blocks_the_default_messaging_and_calling(api, sub_account):
    response = api.post(url(sub_account, "suspend"), {"reason": "late"}, format="json")
    assert response.status_code == 200
    call = api.post("/api/v1/usage", {"sub_account": str(sub_account.pk),
                                      "item": "call_outbound", "idempotency_key": "u2",
                                      "duration_seconds": 60}, format="json")
    assert call.status_code == 402


def test_suspend_refuses_unknown_items_and_a_client_suspended_already(api, sub_account):
    unknown = api.post(url(sub_account, "suspend"), {"items": ["sms_outbound", "fax"],
                                                      "reason": "x"}, format="json")
    assert unknown.status_code == 400 and "items" in unknown.json()["error"]["fields"]
    no_reason = api.post(url(sub_account, "suspend"), {"items": []}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    sub_account.refresh_from_db()
    assert not sub_account.suspended
    first = api.post(url(sub_account, "suspend"), {"reason": "x", "idempotency_key": "s"},
                     format="json")
    replay = api.post(url(sub_account, "suspend"), {"reason": "x", "idempotency_key": "s"},
                      format="json")
    assert first.status_code == replay.status_code == 200
    twice = api.post(url(sub_account, "suspend"), {"reason": "again"}, format="json")
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "already_suspended"
    assert AuditLog.objects.filter(action="subaccount.suspend").count() == 1


def test_resume_lifts_an_agency_suspension_only(api, sub_account):
    api.post(url(sub_account, "suspend"), {"reason": "pause"}, format="json")
    response = api.post(url(sub_account, "resume"), {}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["suspension_reason"] is None and not response.json()["suspended"]
    not_suspended = api.post(url(sub_account, "resume"), {}, format="json")
    assert not_suspended.status_code == 409
    SubAccountFactory._meta.model.objects.filter(pk=sub_account.pk).update(
        suspended_at=timezone.now(), suspension_reason="payment_failed",
        suspension_note="Card payments failed after every retry.")
    other = api.post(url(sub_account, "resume"), {}, format="json")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "not_agency_suspension"
    assert "card payments failed" in other.json()["error"]["message"]
    sub_account.refresh_from_db()
    assert sub_account.suspension_reason == "payment_failed"


# -- top-ups with a key -------------------------------------------------------------------

def test_manual_top_up_with_an_idempotency_key_is_made_once(api, sub_account):
    payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    body = {"amount": "20.00", "idempotency_key": "t-1"}
    first = api.post(url(sub_account, "wallet/topups"), body, format="json")
    again = api.post(url(sub_account, "wallet/topups"), body, format="json")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and TopUp.objects.count() == 1
    changed = api.post(url(sub_account, "wallet/topups"), {**body, "amount": "21.00"},
                       format="json")
    assert changed.status_code == 409
    other = SubAccountFactory(agency=api.agency)
    payment_method_attach(sub_account=other, payment_method="pm_card_visa")
    elsewhere = api.post(url(other, "wallet/topups"), body, format="json")
    assert elsewhere.status_code == 409
    assert elsewhere.json()["error"]["code"] == "idempotency_conflict"
    assert TopUp.objects.count() == 1


# -- card link ----------------------------------------------------------------------------

def test_card_link_is_made_and_emailed_to_the_billing_admins(api, sub_account, client):
    admin = ClientMembershipFactory(sub_account=sub_account)
    ClientMembershipFactory(sub_account=sub_account, can_manage_billing=False)
    response = api.post(url(sub_account, "card-link"), {"email": True}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["url"].startswith("http") and "/card/" in body["url"]
    assert body["emailed_to"] == [admin.user.email]
    [mail] = OutgoingEmail.objects.all()
    assert mail.to == admin.user.email and body["url"] in mail.body
    assert AuditLog.objects.filter(action="subaccount.card_link").count() == 1


# -- tenancy ------------------------------------------------------------------------------

ACTIONS = [("wallet/credits", {"amount": "1.00", "reason": "x"}),
           ("suspend", {"reason": "x"}), ("resume", {}), ("card-link", {}),
           ("wallet/topups", {"amount": "5.00"})]


def test_another_agencys_client_and_top_ups_are_not_found(api, sub_account):
    stranger = SubAccountFactory()
    their_topup = paid_topup(stranger)
    for tail, body in ACTIONS:
        response = api.post(url(stranger, tail), body, format="json")
        assert response.status_code == 404, tail
        assert response.json()["error"]["code"] == "not_found"
    for action in ("refund", "retry"):
        # their client in the path, or ours with their top-up
        for path in (url(stranger, f"topups/{their_topup.pk}/{action}"),
                     url(sub_account, f"topups/{their_topup.pk}/{action}")):
            response = api.post(path, {"reason": "x"} if action == "refund" else {},
                                format="json")
            assert response.status_code == 404, path
    # another client of the same agency: its top-up is not under this one's path
    sibling = SubAccountFactory(agency=api.agency)
    sibling_topup = paid_topup(sibling)
    response = api.post(url(sub_account, f"topups/{sibling_topup.pk}/refund"),
                        {"reason": "x"}, format="json")
    assert response.status_code == 404
    assert not Entry.objects.filter(kind__in=["credit", "refund"]).exists()
    stranger.refresh_from_db()
    assert not stranger.suspended and not TopUpRefund.objects.exists()


def test_a_client_admin_cannot_call_the_actions(client, sub_account):
    """The API takes agency API keys only: a client admin's session is not one."""
    membership = ClientMembershipFactory(sub_account=sub_account)
    client.force_login(membership.user)
    topup = paid_topup(sub_account)
    for tail, body in [*ACTIONS, (f"topups/{topup.pk}/refund", {"reason": "x"}),
                       (f"topups/{topup.pk}/retry", {})]:
        response = client.post(url(sub_account, tail), body, content_type="application/json")
        assert response.status_code == 401, tail
    assert not Entry.objects.filter(kind__in=["credit", "refund"]).exists()


def test_a_refund_the_gateway_did_not_answer_stays_reserved_until_its_key_finishes_it(
        api, sub_account, monkeypatch):
    topup = paid_topup(sub_account, "50.00")
    from wallets.payments.gateways.sandbox import SandboxGateway
    original = SandboxGateway.refund
    answers = []

    def flaky(self, **kwargs):
        answers.append(kwargs["idempotency_key"])
        if len(answers) == 1:
            raise ConnectionError("timed out")
        return original(self, **kwargs)

    monkeypatch.setattr(SandboxGateway, "refund", flaky)
    path = url(sub_account, f"topups/{topup.pk}/refund")
    body = {"amount": "40.00", "reason": "dup", "idempotency_key": "r-9"}
    lost = api.post(path, body, format="json")
    assert lost.status_code == 503 and lost.json()["error"]["code"] == "refund_pending"
    # the 40 stays reserved: another refund can only have the 10 left
    other = api.post(path, {"amount": "10.01", "reason": "x"}, format="json")
    assert other.status_code == 409 and other.json()["error"]["code"] == "refund_too_large"
    finished = api.post(path, body, format="json")
    assert finished.status_code == 201 and finished.json()["amount"] == "40.000000"
    [refund] = TopUpRefund.objects.all()
    assert answers == [f"refund:{refund.pk}"] * 2
    assert Entry.objects.filter(kind="refund").count() == 1
