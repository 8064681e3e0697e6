"""Refunds racing each other on PostgreSQL, with real row locks: together they never pass
the charge, and one idempotency key sent twice at once refunds once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import EntryFactory, SubAccountFactory
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry
from wallets.payments.cards import payment_method_attach
from wallets.payments.corrections import topup_refund
from wallets.payments.models import TopUpRefund
from wallets.payments.topups import topup_attempt, topup_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def paid_topup(amount="50.00"):
    sub_account = SubAccountFactory()
    payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    topup = topup_request(wallet_id=sub_account.wallet.pk, trigger="manual",
                          amount=Decimal(amount), enqueue=False)
    return topup_attempt(topup_id=topup.pk)


def race(calls) -> tuple[list, list]:
    """Run each call in its own thread at once; their results and errors."""
    results, errors = [], []
    start = threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait()
            results.append(call())
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_two_refunds_racing_never_pass_the_charge():
    topup = paid_topup("50.00")
    # when: two refunds of 30 of a 50 charge at once
    results, errors = race([
        lambda: topup_refund(topup_id=topup.pk, amount=Decimal("30.00"), reason="a"),
        lambda: topup_refund(topup_id=topup.pk, amount=Decimal("30.00"), reason="b")])
    # then: one refunded, the other refused for the amount
    assert len(results) == 1 and [e.code for e in errors] == ["refund_too_large"]
    assert [e.amount.amount for e in Entry.objects.filter(kind="refund")] == [Decimal("-30")]
    assert [c for c in ledger_verify() if not c.ok] == []


def test_one_key_sent_twice_at_once_refunds_once():
    topup = paid_topup("50.00")

    def call():
        return topup_refund(topup_id=topup.pk, amount=Decimal("10.00"), reason="a",
                            idempotency_key="same")

    results, errors = race([call, call, call])
    assert errors == [] and len({r.pk for r in results}) == 1
    assert TopUpRefund.objects.count() == 1
    assert Entry.objects.filter(kind="refund").count() == 1
    assert [c for c in ledger_verify() if not c.ok] == []


def test_refunds_of_two_top_ups_racing_never_take_the_wallet_below_zero():
    first = paid_topup("50.00")
    sub_account = first.sub_account
    second = topup_attempt(topup_id=topup_request(
        wallet_id=sub_account.wallet.pk, trigger="manual", amount=Decimal("50.00"),
        enqueue=False).pk)
    EntryFactory(wallet=sub_account.wallet, amount=Decimal("-40"))  # 60 left
    results, errors = race([
        lambda: topup_refund(topup_id=first.pk, amount=Decimal("40.00"), reason="a"),
        lambda: topup_refund(topup_id=second.pk, amount=Decimal("40.00"), reason="b")])
    assert len(results) == 1 and [e.code for e in errors] == ["refund_too_large"]
    sub_account.wallet.refresh_from_db()
    assert sub_account.wallet.balance.amount == Decimal("20")
    assert [c for c in ledger_verify() if not c.ok] == []
