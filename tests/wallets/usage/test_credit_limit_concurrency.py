"""Races across the credit limit on one hot wallet, on PostgreSQL with real threads, real
connections and real row locks: the balance passes -limit by the one crossing charge and no
more, and once the suspension commits no blocked event is recorded, however many requests
were cleaned (and found the client live) before it committed (docs/internals.md#credit-limit)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from moneyed import Money

from hoopbilling.errors import DomainError
from hoopbilling.models import AuditLog
from tests.factories import AgencyFactory, SubAccountFactory
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry, Wallet
from wallets.payments.models import Notification
from wallets.usage.models import UsageCharge
from wallets.usage.services import usage_record, usage_record_batch

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LIMIT = Decimal("1.00")


def run_threads(count, target):
    start = threading.Barrier(count)
    errors = []

    def run(n):
        try:
            start.wait()
            target(n)
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def usage_entries(client):
    return list(Entry.objects.filter(wallet__sub_account=client, kind="usage").order_by("seq"))


def crossing_entry(entries):
    """The first entry that left the balance past -LIMIT."""
    return next(entry for entry in entries if entry.balance_after.amount < -LIMIT)


def test_twenty_threads_racing_across_the_limit_pass_it_by_one_charge_and_no_more():
    client = SubAccountFactory(agency=AgencyFactory(credit_limit=Money(LIMIT, "USD")))
    charge = Decimal("0.079")  # 10 segments at 0.0079
    outcomes = []

    def sender(n):
        for k in range(10):
            try:
                usage_record(agency=client.agency, event={
                    "sub_account": str(client.pk), "item": "sms_outbound",
                    "idempotency_key": f"t{n}-{k}", "quantity": "10"})
                outcomes.append("charged")
            except DomainError as exc:
                outcomes.append(exc.code)

    run_threads(20, sender)

    balance = Wallet.objects.get(sub_account=client).balance.amount
    # the limit was crossed by exactly one charge
    assert -LIMIT - charge <= balance < -LIMIT
    entries = usage_entries(client)
    crossing = crossing_entry(entries)
    # the crossing charge is the last one: after the suspension committed, nothing blocked
    # was recorded, though other threads had cleaned their events before it did
    assert crossing == entries[-1]
    assert outcomes.count("charged") == len(entries) == UsageCharge.objects.count()
    assert set(outcomes) == {"charged", "sub_account_suspended"}
    client.refresh_from_db()
    assert client.suspension_reason == "credit_limit"
    assert AuditLog.objects.filter(action="subaccount.suspend").count() == 1
    assert Notification.objects.filter(kind="credit_limit").count() == 1
    assert [check for check in ledger_verify() if not check.ok] == []


def test_batches_racing_on_a_hot_wallet_stop_the_blocked_items_and_charge_the_others():
    client = SubAccountFactory(agency=AgencyFactory(credit_limit=Money(LIMIT, "USD")))
    sms_charge = Decimal("0.079")
    answers = []

    def sender(n):
        for b in range(4):
            events = []
            for k in range(50):
                key = f"t{n}-b{b}-{k}"
                events.append({"sub_account": str(client.pk), "item": "sms_outbound",
                               "idempotency_key": key, "quantity": "10"} if k % 5 else
                              {"sub_account": str(client.pk), "item": "email_send",
                               "idempotency_key": key, "quantity": "10"})
            for event, result in zip(events, usage_record_batch(agency=client.agency,
                                                                events=events), strict=True):
                answers.append((event["item"], getattr(result, "code", "charged")))

    run_threads(8, sender)

    entries = usage_entries(client)
    crossing = crossing_entry(entries)
    after = [entry for entry in entries if entry.seq > crossing.seq]
    # past the crossing charge, only the items a suspension does not block were charged
    assert all(entry.memo.startswith("email_send") for entry in after)
    assert crossing.balance_after.amount >= -LIMIT - sms_charge
    balance = Wallet.objects.get(sub_account=client).balance.amount
    assert balance == crossing.balance_after.amount + sum(e.amount.amount for e in after)
    # every email was charged; every refusal is a blocked item's 402
    assert ("email_send", "sub_account_suspended") not in answers
    assert {code for item, code in answers if code != "charged"} == {"sub_account_suspended"}
    assert len(entries) == sum(code == "charged" for _, code in answers)
    assert AuditLog.objects.filter(action="subaccount.suspend").count() == 1
    assert [check for check in ledger_verify() if not check.ok] == []
