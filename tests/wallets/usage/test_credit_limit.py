"""The credit limit (docs/api.md#credit-limit): a rebilled client is stopped when a charge takes
its balance past -limit (the charge is recorded), unless a top-up is being charged; money
coming in, a raised limit or rebilling switched off lets it go again. Races across the limit
are in test_credit_limit_concurrency.py."""

from decimal import Decimal

import pytest
from django.utils import timezone
from moneyed import Money

from agencies.services import agency_update
from hoopbilling.models import AuditLog, OutgoingEmail
from subaccounts.services import subaccount_suspend, subaccount_update
from tests.factories import (
    AgencyFactory,
    AgencyMembershipFactory,
    EntryFactory,
    SubAccountFactory,
    UserFactory,
    ledger_post_one,
    wallet_with_card,
)
from wallets.billing.jobs import billing_jobs_run
from wallets.ledger.corrections import wallet_credit
from wallets.ledger.models import Entry, Wallet
from wallets.ledger.posting import Posting
from wallets.payments.models import Notification, TopUp
from wallets.payments.topups import topup_attempt, topup_request
from wallets.usage.events import SubAccountSuspended
from wallets.usage.models import UsageCharge, UsageCounter
from wallets.usage.services import usage_record, usage_record_batch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledger_checked")]

SMS_100 = Decimal("0.79")  # 100 segments at the base cost of 0.0079


def limited_client(limit="1.00", **kwargs):
    """A rebilled client without a card whose agency's credit limit is `limit`, with an admin
    who gets the agency's emails."""
    agency = AgencyFactory(credit_limit=Money(limit, "USD"))
    AgencyMembershipFactory(agency=agency, user=UserFactory(email="boss@agency.test"))
    return SubAccountFactory(agency=agency, **kwargs)


def sms(client, key, quantity="100"):
    return {"sub_account": str(client.pk), "item": "sms_outbound", "idempotency_key": key,
            "quantity": quantity}


def email(client, key, quantity="1000"):
    return {"sub_account": str(client.pk), "item": "email_send", "idempotency_key": key,
            "quantity": quantity}


def balance(client) -> Decimal:
    return Wallet.objects.get(sub_account=client).balance.amount


def fresh(client):
    client.refresh_from_db()
    return client


def test_the_charge_that_crosses_the_limit_is_recorded_and_the_next_blocked_event_is_402():
    client = limited_client()
    agency = client.agency
    # within the limit: charged, still live
    usage_record(agency=agency, event=sms(client, "a"))
    assert balance(client) == -SMS_100 and not fresh(client).suspended
    # the charge that takes the balance past -1.00 is recorded, and the client stopped
    crossing = usage_record(agency=agency, event=sms(client, "b"))
    assert crossing.wallet_balance == -2 * SMS_100
    client = fresh(client)
    assert client.suspended and client.suspension_reason == "credit_limit"
    assert "credit limit" in client.suspension_note.lower()
    # from the next event on, its blocked items answer 402 and record nothing
    with pytest.raises(SubAccountSuspended, match="back within its credit limit"):
        usage_record(agency=agency, event=sms(client, "c"))
    assert UsageCharge.objects.filter(sub_account=client).count() == 2
    # an item the suspension does not block (email) is still charged
    usage_record(agency=agency, event=email(client, "d"))
    assert balance(client) == -2 * SMS_100 - Decimal("0.675")
    # the agency heard of it once, in the app and by email
    [note] = Notification.objects.filter(sub_account=client, kind="credit_limit")
    assert "credit limit of 1.00 USD" in note.message
    assert OutgoingEmail.objects.filter(to="boss@agency.test",
                                        subject__contains="Credit limit reached").count() == 1
    assert AuditLog.objects.filter(action="subaccount.suspend", object_id=str(client.pk),
                                   actor_label="credit limit").count() == 1


def test_a_new_agency_stops_a_client_without_funds_at_zero():
    client = SubAccountFactory(agency=AgencyFactory())
    usage_record(agency=client.agency, event=sms(client, "a", quantity="1"))
    assert fresh(client).suspension_reason == "credit_limit"
    with pytest.raises(SubAccountSuspended):
        usage_record(agency=client.agency, event=sms(client, "b", quantity="1"))
    assert balance(client) == Decimal("-0.0079")


def test_a_batch_that_crosses_the_limit_refuses_the_blocked_events_after_the_crossing_one():
    client = limited_client()
    events = [sms(client, "s1"), sms(client, "s2"), sms(client, "s3"), email(client, "e1"),
              sms(client, "s4", quantity="7")]
    results = usage_record_batch(agency=client.agency, events=events)
    # in order: two charges (the second crosses), a refusal, the email, a refusal
    assert [type(r).__name__ for r in results] == [
        "UsageResult", "UsageResult", "SubAccountSuspended", "UsageResult",
        "SubAccountSuspended"]
    assert results[2].code == "sub_account_suspended" and results[2].status == 402
    assert balance(client) == -2 * SMS_100 - Decimal("0.675")
    assert fresh(client).suspension_reason == "credit_limit"
    # nothing half-written: the refused events left no charge, entry or count behind
    assert set(UsageCharge.objects.values_list("idempotency_key", flat=True)) == {
        "s1", "s2", "e1"}
    assert Entry.objects.filter(wallet__sub_account=client, kind="usage").count() == 3
    counter = UsageCounter.objects.get(sub_account=client, item="sms_outbound")
    assert counter.quantity == 200
    # a refused key is free again: sent once the client pays, it is charged
    EntryFactory(wallet=client.wallet, kind="adjustment", amount=Decimal("5"))
    assert not fresh(client).suspended
    [again] = usage_record_batch(agency=client.agency, events=[sms(client, "s3")])
    assert not again.replayed and again.charge.quantity == 100


def test_a_batch_after_another_one_stopped_the_client_records_no_blocked_event():
    client = limited_client("0.50")
    usage_record(agency=client.agency, event=sms(client, "cross"))
    results = usage_record_batch(agency=client.agency, events=[
        sms(client, "x1"), email(client, "x2"), sms(client, "x3")])
    assert [getattr(r, "code", "charged") for r in results] == [
        "sub_account_suspended", "charged", "sub_account_suspended"]


def test_absorbed_usage_is_never_limited():
    client = limited_client("0", rebilling_enabled=False)
    for n in range(5):
        result = usage_record(agency=client.agency, event=sms(client, f"k{n}", "100000"))
        assert result.charge.billed_to == "agency"
    assert balance(client) == 0 and not fresh(client).suspended


def test_a_client_suspended_for_its_card_keeps_that_reason_and_only_its_own_lift():
    client = limited_client()
    subaccount_suspend(sub_account=client, reason="payment_failed", note="Card declined.")
    # past the limit on an item the payment suspension does not block: not re-labelled
    usage_record(agency=client.agency, event=email(client, "e1", quantity="4000"))
    client = fresh(client)
    assert balance(client) == Decimal("-2.7")
    assert client.suspension_reason == "payment_failed"
    # money back within the credit limit does not lift another reason's suspension
    EntryFactory(wallet=client.wallet, kind="adjustment", amount=Decimal("2"))
    assert fresh(client).suspension_reason == "payment_failed"
    assert not Notification.objects.filter(kind__startswith="credit_limit").exists()


def test_a_topup_that_settles_lifts_the_suspension_in_its_own_transaction(eager_celery):
    wallet = wallet_with_card(agency=AgencyFactory(credit_limit=Money("1", "USD")))
    client = wallet.sub_account
    usage_record(agency=client.agency, event=sms(client, "a", "200"))
    assert fresh(client).suspension_reason == "credit_limit"
    topup = topup_request(wallet_id=wallet.pk, trigger="manual", amount="10.00",
                          enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "succeeded"
    client = fresh(client)
    assert not client.suspended
    assert AuditLog.objects.filter(action="subaccount.lift", object_id=str(client.pk),
                                   actor_label="credit limit").count() == 1
    [note] = Notification.objects.filter(sub_account=client, kind="credit_limit_lifted")
    assert "back within its credit limit" in note.message
    usage_record(agency=client.agency, event=sms(client, "b"))


def test_a_card_failing_every_retry_keeps_a_client_stopped_at_its_limit_and_says_so():
    wallet = wallet_with_card(payment_method="pm_card_chargeCustomerFail",
                              agency=AgencyFactory(credit_limit=Money("1", "USD"),
                                                   retry_schedule_hours=[]))
    client = wallet.sub_account
    usage_record(agency=client.agency, event=sms(client, "a", "200"))  # -1.58: stopped
    topup = topup_request(wallet_id=wallet.pk, trigger="manual", amount="10.00",
                          enqueue=False)
    assert topup_attempt(topup_id=topup.pk).status == "failed"  # no retries: exhausted
    assert fresh(client).suspension_reason == "credit_limit"
    [note] = Notification.objects.filter(sub_account=client, kind="suspended")
    assert note.message == (f"{client.name}'s card was declined after every retry; it stays "
                            "suspended (credit limit reached).")


@pytest.mark.parametrize("posting", ["credit", "adjustment", "reversal"])
def test_money_in_of_any_kind_lifts_once_the_balance_is_within_the_limit(posting):
    client = limited_client()
    usage_record(agency=client.agency, event=sms(client, "a", "300"))  # -2.37
    assert fresh(client).suspended
    wallet = client.wallet
    if posting == "adjustment":
        # not enough yet: -1.37 is still past -1.00
        wallet_credit(wallet_id=wallet.pk, amount="1", reason="goodwill", token="t1")
        assert fresh(client).suspended
        wallet_credit(wallet_id=wallet.pk, amount="0.37", reason="goodwill", token="t2")
    elif posting == "credit":
        ledger_post_one(wallet_id=wallet.pk, posting=Posting(
            kind="credit", amount=Decimal("1.37"), currency="USD", idempotency_key="c1"))
    else:
        usage_entry = Entry.objects.get(wallet=wallet, kind="usage")
        ledger_post_one(wallet_id=wallet.pk, posting=Posting(
            kind="reversal", amount=Decimal("2.37"), currency="USD", idempotency_key="r1",
            corrects_id=usage_entry.pk))
    assert not fresh(client).suspended  # at exactly -1.00 it is within


def test_raising_the_limit_lifts_and_lowering_it_suspends_nobody_until_the_next_charge(
        django_capture_on_commit_callbacks):
    client = limited_client()
    usage_record(agency=client.agency, event=sms(client, "a", "300"))  # -2.37
    # the agency's default raised: the client is within it again
    with django_capture_on_commit_callbacks(execute=True):
        agency_update(agency=client.agency, changes={"credit_limit": "3"})
    assert not fresh(client).suspended
    # its own limit lowered below its balance: no retroactive suspension...
    with django_capture_on_commit_callbacks(execute=True):
        subaccount_update(sub_account=client, changes={"credit_limit": "2"})
    assert not fresh(client).suspended
    # ...the next charge stops it
    usage_record(agency=client.agency, event=sms(client, "b", "1"))
    assert fresh(client).suspension_reason == "credit_limit"
    # its own limit raised lifts it too; null returns it to the agency's (3.00)
    with django_capture_on_commit_callbacks(execute=True):
        subaccount_update(sub_account=client, changes={"credit_limit": "5"})
    assert not fresh(client).suspended
    with django_capture_on_commit_callbacks(execute=True):
        subaccount_update(sub_account=client, changes={"credit_limit": None})
    client = fresh(client)
    assert client.credit_limit is None and client.effective_credit_limit == 3


def test_rebilling_switched_off_lets_a_stopped_client_go(django_capture_on_commit_callbacks):
    client = limited_client()
    usage_record(agency=client.agency, event=sms(client, "a", "300"))
    with django_capture_on_commit_callbacks(execute=True):
        subaccount_update(sub_account=client, changes={"rebilling_enabled": False})
    assert not fresh(client).suspended
    usage_record(agency=client.agency, event=sms(client, "b", "300"))  # absorbed
    assert balance(client) == Decimal("-2.37")


def test_the_billing_jobs_lift_what_a_review_after_a_change_missed():
    client = limited_client()
    usage_record(agency=client.agency, event=sms(client, "a", "300"))
    # the change commits but its review never runs (the process stopped)
    agency_update(agency=client.agency, changes={"credit_limit": "10"})
    assert fresh(client).suspended
    assert billing_jobs_run(timezone.now())["credit_limit_lifted"] == 1
    assert not fresh(client).suspended
    assert billing_jobs_run(timezone.now())["credit_limit_lifted"] == 0


@pytest.mark.parametrize(("status", "stopped"), [
    ("pending", False), ("processing", False), ("retrying", True), ("requires_action", True)])
def test_a_topup_being_charged_defers_the_suspension_one_waiting_does_not(status, stopped):
    client = limited_client()
    TopUp.objects.create(wallet=client.wallet, sub_account=client, amount=Money("10", "USD"),
                         trigger="auto", status=status, gateway="sandbox",
                         created_at=timezone.now())
    usage_record(agency=client.agency, event=sms(client, "a", "300"))
    assert fresh(client).suspended is stopped
