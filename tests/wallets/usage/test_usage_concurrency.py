"""Concurrent duplicates of usage events, on PostgreSQL with real row locks."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import AgencyFactory, SubAccountFactory
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry, Wallet
from wallets.usage.models import UsageCharge
from wallets.usage.services import usage_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 10
KEYS = 200


def test_ten_threads_sending_the_same_200_keys_charge_each_exactly_once():
    agency = AgencyFactory(open_credit=True)  # about duplicates, not the credit limit
    # Keys spread over four clients, so racing writers hold different wallet locks too.
    clients = [SubAccountFactory(agency=agency) for _ in range(4)]
    events = [{"sub_account": str(clients[n % 4].pk), "item": "sms_outbound",
               "idempotency_key": f"evt-{n}", "quantity": "1"} for n in range(KEYS)]
    replays, errors = [], []
    start = threading.Barrier(THREADS)

    def sender(offset):
        try:
            start.wait()
            # Each thread starts at another point of the list, so duplicates collide.
            for n in range(KEYS):
                result = usage_record(agency=agency, event=events[(n + offset * 20) % KEYS])
                replays.append(result.replayed)
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert UsageCharge.objects.count() == KEYS
    assert Entry.objects.count() == KEYS
    assert replays.count(False) == KEYS and replays.count(True) == KEYS * (THREADS - 1)
    total = sum(w.balance.amount for w in Wallet.objects.filter(sub_account__in=clients))
    assert total == Decimal("-0.0079") * KEYS
    assert [check for check in ledger_verify() if not check.ok] == []


def test_same_key_racing_for_two_clients_charges_one_and_conflicts_the_other():
    agency = AgencyFactory()
    first, second = SubAccountFactory(agency=agency), SubAccountFactory(agency=agency)
    outcomes = []
    start = threading.Barrier(2)

    def sender(client):
        try:
            start.wait()
            usage_record(agency=agency, event={
                "sub_account": str(client.pk), "item": "sms_outbound",
                "idempotency_key": "shared", "quantity": "1"})
            outcomes.append("charged")
        except Exception as exc:  # the loser's answer
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["IdempotencyConflict", "charged"]
    assert UsageCharge.objects.count() == 1
    assert [check for check in ledger_verify() if not check.ok] == []
