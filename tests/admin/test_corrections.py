"""The correction services behind the admin actions: each posts one new entry (never an
edit), writes its audit row, and refuses doing it twice."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from moneyed import Money

from agencies.models import Agency
from hoopbilling.errors import InvalidInput
from hoopbilling.models import AuditLog
from subaccounts.services import payment_method_set
from tests.admin.conftest import paid_topup, usage_charge
from tests.factories import AgencyFactory, EntryFactory, SubAccountFactory, wallet_with_card
from wallets.ledger.corrections import wallet_credit
from wallets.ledger.models import Entry, Wallet
from wallets.ledger.signals import wallet_debited
from wallets.payments.corrections import (
    AlreadyRefunded,
    NotRefundable,
    NotRetryable,
    RefundTooLarge,
    topup_refund,
    topup_retry_now,
)
from wallets.payments.models import TopUp
from wallets.payments.topups import topup_attempt, topup_request
from wallets.usage.corrections import AlreadyReversed, NotReversible, usage_reverse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ledger_checked")]


def test_credit_posts_an_adjustment_with_its_audit_row_and_a_resubmit_posts_nothing(operator):
    wallet = SubAccountFactory().wallet
    # when
    entry = wallet_credit(wallet_id=wallet.pk, amount=Decimal("12.50"), reason="goodwill",
                          token="t1", actor=operator)
    again = wallet_credit(wallet_id=wallet.pk, amount=Decimal("12.50"), reason="goodwill",
                          token="t1", actor=operator)
    # then
    wallet.refresh_from_db()
    assert again.pk == entry.pk and wallet.balance.amount == Decimal("12.50")
    assert (entry.kind, entry.amount.amount, entry.memo) == ("adjustment", Decimal("12.50"),
                                                            "goodwill")
    [row] = AuditLog.objects.filter(action="wallet.adjust")
    assert row.actor == operator and row.reason == "goodwill"
    assert row.before == {"balance": "0.000000"} and row.after["balance"] == "12.500000"


def test_debit_is_a_negative_adjustment():
    wallet = SubAccountFactory().wallet
    entry = wallet_credit(wallet_id=wallet.pk, amount=Decimal("-3"), reason="fee", token="t")
    wallet.refresh_from_db()
    assert entry.amount.amount == Decimal("-3") and wallet.balance.amount == Decimal("-3")


def test_a_debit_follows_up_at_once_as_usage_does_and_a_credit_or_a_resubmit_does_not(
        django_capture_on_commit_callbacks):
    wallet = SubAccountFactory().wallet
    debited = []
    wallet_debited.connect(lambda sender, wallet_id, balance, **kw: debited.append(
        (wallet_id, balance)), weak=False, dispatch_uid="test-corrections")
    try:
        for amount, token in [("-3", "t1"), ("-3", "t1"), ("5", "t2")]:
            with django_capture_on_commit_callbacks(execute=True):
                wallet_credit(wallet_id=wallet.pk, amount=Decimal(amount), reason="fee",
                              token=token)
    finally:
        wallet_debited.disconnect(dispatch_uid="test-corrections")
    assert debited == [(wallet.pk, Decimal("-3"))]


@pytest.mark.parametrize(("amount", "reason", "field"), [
    (Decimal("5"), "  ", "reason"), (Decimal("0"), "x", "amount"),
    ("abc", "x", "amount"), (Decimal("0.0000001"), "x", "amount"),
])
def test_credit_refuses_bad_input_naming_the_field(amount, reason, field):
    wallet = SubAccountFactory().wallet
    with pytest.raises(InvalidInput) as caught:
        wallet_credit(wallet_id=wallet.pk, amount=amount, reason=reason, token="t")
    assert caught.value.field == field
    assert not Entry.objects.filter(wallet=wallet).exists()


def test_credit_refuses_a_float():
    wallet = SubAccountFactory().wallet
    with pytest.raises(TypeError):
        wallet_credit(wallet_id=wallet.pk, amount=1.5, reason="x", token="t")


def test_reversal_gives_back_minus_the_usage_entry_once(operator):
    sub_account = SubAccountFactory()
    charge = usage_charge(sub_account=sub_account, amount="1.25")
    # when
    reversal = usage_reverse(entry_id=charge.entry_id, reason="carrier error", actor=operator)
    # then
    sub_account.wallet.refresh_from_db()
    assert sub_account.wallet.balance.amount == Decimal("0")
    assert (reversal.kind, reversal.amount.amount, reversal.corrects_id) == (
        "reversal", Decimal("1.25"), charge.entry_id)
    assert reversal.idempotency_key == f"reversal:{charge.entry_id}"
    assert reversal.reference_id == str(charge.pk)
    assert AuditLog.objects.get(action="usage.reverse").reason == "carrier error"
    with pytest.raises(AlreadyReversed) as caught:
        usage_reverse(entry_id=charge.entry_id, reason="again")
    assert caught.value.field == "entry"
    assert Entry.objects.filter(kind="reversal").count() == 1


def test_only_usage_entries_are_reversed():
    entry = EntryFactory(amount=Decimal("5"))
    with pytest.raises(NotReversible):
        usage_reverse(entry_id=entry.pk, reason="x")


def test_refund_posts_a_negative_refund_pointing_at_the_topup_entry_and_may_repeat_up_to_it(
        operator):
    wallet, topup = paid_topup(amount="50.00")
    # when
    refund = topup_refund(topup_id=topup.pk, amount=Decimal("20.00"), reason="client left",
                          actor=operator)
    # then
    wallet.refresh_from_db()
    entry = refund.entry
    assert wallet.balance.amount == Decimal("30.00") and refund.status == "succeeded"
    assert (entry.kind, entry.amount.amount, entry.corrects_id) == (
        "refund", Decimal("-20.00"), topup.entry_id)
    assert entry.idempotency_key == f"refund:{refund.pk}"
    row = AuditLog.objects.get(action="topup.refund")
    assert row.after["refund_id"].startswith("sbre_") and row.reason == "client left"
    # the rest (amount None), then nothing is left
    rest = topup_refund(topup_id=topup.pk, reason="the rest")
    assert rest.amount.amount == Decimal("30.00")
    with pytest.raises(AlreadyRefunded):
        topup_refund(topup_id=topup.pk, amount=Decimal("1.00"), reason="again")
    assert Entry.objects.filter(kind="refund").count() == 2


def test_refund_refuses_more_than_the_topup_or_the_balance_and_unpaid_topups():
    wallet, topup = paid_topup(amount="50.00", balance="100")
    with pytest.raises(RefundTooLarge) as caught:
        topup_refund(topup_id=topup.pk, amount=Decimal("50.01"), reason="x")
    assert caught.value.field == "amount"
    EntryFactory(wallet=wallet, amount=Decimal("-140"))  # 10 left in the wallet
    with pytest.raises(RefundTooLarge):
        topup_refund(topup_id=topup.pk, amount=Decimal("20"), reason="x")
    with pytest.raises(InvalidInput):
        topup_refund(topup_id=topup.pk, amount=Decimal("1.005"), reason="x")
    declined = wallet_with_card(payment_method="pm_card_chargeCustomerFail")
    pending = topup_request(wallet_id=declined.pk, trigger="manual", amount=Decimal("5"),
                            enqueue=False)
    with pytest.raises(NotRefundable):
        topup_refund(topup_id=pending.pk, amount=Decimal("5"), reason="x")
    assert not Entry.objects.filter(kind="refund").exists()


def test_retry_now_reopens_a_failed_topup_and_charges_the_new_card(operator):
    # room below zero: about the card's failure, not the credit limit
    wallet = wallet_with_card(payment_method="pm_card_chargeCustomerFail", balance="-5",
                              agency=AgencyFactory(open_credit=True))
    sub_account = wallet.sub_account
    Agency.objects.filter(pk=sub_account.agency_id).update(retry_schedule_hours=[0])
    topup = topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("25"),
                          enqueue=False)
    now = timezone.now()
    topup_attempt(topup_id=topup.pk, now=now)
    topup = topup_attempt(topup_id=topup.pk, now=now + timedelta(seconds=1))
    sub_account.refresh_from_db()
    assert topup.status == "failed" and sub_account.suspension_reason == "payment_failed"
    # the client's new card is on file, without the automatic retry
    payment_method_set(sub_account=sub_account, gateway="sandbox",
                       customer_id=sub_account.payment_customer_id,
                       payment_method_id="pm_card_visa", brand="visa", last4="4242")
    # when
    topup = topup_retry_now(topup_id=topup.pk, actor=operator)
    # then
    wallet.refresh_from_db()
    sub_account.refresh_from_db()
    assert topup.status == "succeeded" and wallet.balance.amount == Decimal("20")
    assert not sub_account.suspended
    assert AuditLog.objects.filter(action="topup.retry_now", actor=operator).count() == 1
    with pytest.raises(NotRetryable):
        topup_retry_now(topup_id=topup.pk)


def test_retry_now_refuses_a_failed_topup_while_another_is_in_flight():
    wallet = wallet_with_card(payment_method="pm_card_chargeCustomerFail")
    Agency.objects.filter(pk=wallet.sub_account.agency_id).update(retry_schedule_hours=[0])
    failed = topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("5"),
                           enqueue=False)
    now = timezone.now()
    topup_attempt(topup_id=failed.pk, now=now)
    topup_attempt(topup_id=failed.pk, now=now + timedelta(seconds=1))
    TopUp.objects.create(wallet=wallet, sub_account=wallet.sub_account,
                         amount=Money(5, "USD"), trigger="manual",
                         gateway="sandbox", created_at=now)
    with pytest.raises(NotRetryable):
        topup_retry_now(topup_id=failed.pk)
    assert Wallet.objects.get(pk=wallet.pk).balance.amount == 0
