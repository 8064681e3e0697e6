"""A Hypothesis state machine over the ledger service: whatever the sequence of charges,
top-ups, adjustments, replays and concurrent posts, the ledger's invariants hold."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from hoopbilling.errors import IdempotencyConflict
from tests.factories import WalletFactory, ledger_post_one
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry, Wallet
from wallets.ledger.posting import Posting

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

amounts = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("5000"), places=6)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.wallet = WalletFactory()
        self.posted: dict[str, Posting] = {}
        self.expected_balance = Decimal(0)
        self.counter = 0

    def _post(self, kind, amount):
        self.counter += 1
        posting = Posting(kind=kind, amount=amount, currency="USD",
                          idempotency_key=f"{self.wallet.pk}:{self.counter}")
        _, replayed = ledger_post_one(wallet_id=self.wallet.pk, posting=posting)
        assert not replayed
        self.posted[posting.idempotency_key] = posting
        self.expected_balance += amount

    @rule(amount=amounts)
    def post_charge(self, amount):
        self._post("usage", -amount)

    @rule(amount=amounts)
    def post_topup(self, amount):
        self._post("topup", amount)

    @rule(amount=amounts, negative=st.booleans())
    def post_adjustment(self, amount, negative):
        self._post("adjustment", -amount if negative else amount)

    @rule(data=st.data())
    def replay_a_key(self, data):
        if not self.posted:
            return
        key = data.draw(st.sampled_from(sorted(self.posted)))
        entry, replayed = ledger_post_one(wallet_id=self.wallet.pk, posting=self.posted[key])
        assert replayed and entry.idempotency_key == key

    @rule(data=st.data())
    def replay_a_key_with_another_amount(self, data):
        if not self.posted:
            return
        original = self.posted[data.draw(st.sampled_from(sorted(self.posted)))]
        altered = Posting(kind="adjustment", amount=Decimal("0.01"), currency="USD",
                          idempotency_key=original.idempotency_key)
        if (original.kind, original.amount) == (altered.kind, altered.amount):
            return
        with pytest.raises(IdempotencyConflict):
            ledger_post_one(wallet_id=self.wallet.pk, posting=altered)

    @rule(first=amounts, second=amounts)
    def concurrent_post(self, first, second):
        self.counter += 2
        postings = [
            Posting(kind="topup", amount=first, currency="USD",
                    idempotency_key=f"{self.wallet.pk}:{self.counter - 1}"),
            Posting(kind="usage", amount=-second, currency="USD",
                    idempotency_key=f"{self.wallet.pk}:{self.counter}"),
        ]
        errors = []

        def writer(posting):
            try:
                ledger_post_one(wallet_id=self.wallet.pk, posting=posting)
            except Exception as exc:  # asserted on below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=writer, args=(p,)) for p in postings]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        for posting in postings:
            self.posted[posting.idempotency_key] = posting
        self.expected_balance += first - second

    @invariant()
    def ledger_is_consistent(self):
        wallet = Wallet.objects.get(pk=self.wallet.pk)
        [check] = ledger_verify(wallet_ids=[wallet.pk])
        # balance = sum of entries, balance_after chain and hash chain valid
        assert check.ok, check.problems
        assert wallet.balance.amount == self.expected_balance
        keys = list(Entry.objects.filter(wallet=wallet).values_list("idempotency_key", flat=True))
        assert len(keys) == len(set(keys)) == len(self.posted)
        assert set(keys) == set(self.posted)


def test_ledger_state_machine():
    LedgerMachine.TestCase.settings = settings(
        max_examples=25, stateful_step_count=15, deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    LedgerMachine.TestCase().runTest()
