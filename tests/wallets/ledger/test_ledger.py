from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from moneyed import Money

from hoopbilling.db import BULK_FROM
from hoopbilling.errors import CurrencyMismatch, IdempotencyConflict, InvalidInput
from tests.factories import (
    AgencyFactory,
    EntryFactory,
    SubAccountFactory,
    WalletFactory,
    ledger_post_one,
)
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry, Wallet
from wallets.ledger.posting import NewEntry, Posting
from wallets.ledger.services import ledger_transaction

pytestmark = pytest.mark.django_db


def post(wallet, amount, key, kind="adjustment", currency=None, **kwargs):
    return ledger_post_one(wallet_id=wallet.pk, posting=Posting(
        kind=kind, amount=Decimal(amount), currency=currency or wallet.currency,
        idempotency_key=key, **kwargs))


def test_new_subaccount_has_empty_wallet_in_agency_currency():
    sub_account = SubAccountFactory(agency=AgencyFactory(currency="EUR"))
    wallet = sub_account.wallet
    assert wallet.balance == Money(0, "EUR")
    assert wallet.auto_topup_enabled is False


def test_posting_appends_entry_and_moves_cached_balance():
    wallet = WalletFactory()
    post(wallet, "25.00", "k1", kind="topup")
    entry, replayed = post(wallet, "-0.0237", "k2", kind="usage")
    wallet.refresh_from_db()
    assert replayed is False
    assert wallet.balance.amount == Decimal("24.9763")
    assert entry.seq == 2 and entry.balance_after.amount == Decimal("24.9763")
    assert list(wallet.entries.values_list("seq", flat=True)) == [1, 2]


def test_balance_may_go_negative_for_usage():
    wallet = WalletFactory()
    post(wallet, "-3.50", "k1", kind="usage")
    wallet.refresh_from_db()
    assert wallet.balance.amount == Decimal("-3.50")


def test_replayed_key_posts_nothing_the_second_time():
    wallet = WalletFactory()
    first, _ = post(wallet, "10", "same-key")
    again, replayed = post(wallet, "10", "same-key")
    wallet.refresh_from_db()
    assert replayed is True and again.pk == first.pk
    assert wallet.entries.count() == 1
    assert wallet.balance.amount == Decimal("10")


def test_same_key_for_another_movement_is_a_conflict():
    wallet = WalletFactory()
    post(wallet, "10", "same-key")
    with pytest.raises(IdempotencyConflict):
        post(wallet, "11", "same-key")
    other_wallet = WalletFactory()
    with pytest.raises(IdempotencyConflict):
        post(other_wallet, "10", "same-key")
    assert Entry.objects.count() == 1


def test_entry_in_another_currency_is_refused_and_writes_nothing():
    wallet = WalletFactory()
    with pytest.raises(CurrencyMismatch) as excinfo:
        post(wallet, "5", "k", currency="EUR")
    assert excinfo.value.field == "currency"
    wallet.refresh_from_db()
    assert wallet.entries.count() == 0 and wallet.balance.amount == 0


@pytest.mark.parametrize(("kind", "amount", "field"), [
    ("usage", "1.00", "amount"),
    ("topup", "-1.00", "amount"),
    ("refund", "2.00", "amount"),
    ("adjustment", "0", "amount"),
    ("adjustment", "0.0000001", "amount"),
    ("reversal", "1.00", "corrects"),
    ("bonus", "1.00", "kind"),
])
def test_bad_postings_are_refused_naming_the_field(kind, amount, field):
    wallet = WalletFactory()
    with pytest.raises(InvalidInput) as excinfo:
        post(wallet, amount, "k", kind=kind)
    assert excinfo.value.field == field
    assert wallet.entries.count() == 0


def test_float_amount_is_a_type_error():
    with pytest.raises(TypeError):
        Posting(kind="adjustment", amount=0.1, currency="USD", idempotency_key="k")


def test_reversal_points_at_the_entry_it_corrects():
    wallet = WalletFactory()
    charge, _ = post(wallet, "-1.25", "charge", kind="usage")
    reversal, _ = post(wallet, "1.25", "reverse:charge", kind="reversal", corrects_id=charge.pk)
    assert reversal.corrects == charge
    wallet.refresh_from_db()
    assert wallet.balance.amount == 0


def test_database_refuses_entry_with_wrong_sign_for_its_kind():
    entry = EntryFactory(amount=Decimal("5"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(
            wallet=entry.wallet, seq=2, kind="usage", amount=Money(5, "USD"),
            balance_after=Money(10, "USD"), idempotency_key="raw", hash="x",
            created_at=entry.created_at)


def test_ledger_verifies_after_mixed_postings():
    wallet = WalletFactory()
    for i, (kind, amount) in enumerate([("topup", "20"), ("usage", "-0.0079"),
                                        ("usage", "-1.333333"), ("adjustment", "-2")]):
        post(wallet, amount, f"k{i}", kind=kind)
    [check] = ledger_verify(wallet_ids=[wallet.pk])
    assert check.ok, check.problems
    assert check.entries == 4
    assert Wallet.objects.get(pk=wallet.pk).balance.amount == Decimal("16.658767")


def test_appending_to_several_wallets_at_once_chains_each_and_replays_what_is_posted():
    first, second = WalletFactory(), WalletFactory()
    post(first, "5", "a-0", kind="topup")

    def append(postings):
        with ledger_transaction(wallet_ids=[first.pk, second.pk]) as ledger:
            return ledger.post({
                wallet.pk: [Posting(kind="usage", amount=Decimal(amount), currency="USD",
                                    idempotency_key=key) for amount, key in batch]
                for wallet, batch in postings})

    done = append([(first, [("-1", "a-1"), ("-2", "a-2")]), (second, [("-0.5", "b-1")])])
    assert [(e.seq, e.balance_after.amount) for e, _ in done[first.pk]] == [
        (2, Decimal("4")), (3, Decimal("2"))]
    assert [(e.seq, replayed) for e, replayed in done[second.pk]] == [(1, False)]
    again = append([(first, [("-2", "a-2"), ("-3", "a-3")]), (second, [("-0.5", "b-1")])])
    assert [(e.seq, replayed) for e, replayed in again[first.pk]] == [(3, True), (4, False)]
    assert [(e.seq, replayed) for e, replayed in again[second.pk]] == [(1, True)]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.balance.amount, first.last_seq) == (Decimal("-1"), 4)
    assert (second.balance.amount, second.last_seq) == (Decimal("-0.5"), 1)
    assert [check for check in ledger_verify() if not check.ok] == []


@pytest.mark.parametrize("per_wallet", [2, BULK_FROM])  # INSERT, then COPY on PostgreSQL
def test_many_entries_as_plain_values_chain_like_models(per_wallet):
    wallets = [WalletFactory() for _ in range(3)]
    post(wallets[0], "5", f"seed-{per_wallet}", kind="topup")
    with ledger_transaction(wallet_ids=[wallet.pk for wallet in wallets]) as ledger:
        done = ledger.post(models=False, postings={
            wallet.pk: [Posting(kind="usage", amount=Decimal("-0.25"), currency="USD",
                                idempotency_key=f"{wallet.pk}-{n}") for n in range(per_wallet)]
            for wallet in wallets})
    stored = {e.pk: e for e in Entry.objects.filter(wallet__in=wallets)}
    for wallet in wallets:
        entries = [entry for entry, replayed in done[wallet.pk] if not replayed]
        assert all(isinstance(entry, NewEntry) for entry in entries)
        for entry in entries:
            row = stored[entry.pk]
            assert (row.seq, row.balance_after.amount, row.hash) == (
                entry.seq, entry.balance_after, entry.hash)
        wallet.refresh_from_db()
        start = Decimal("5") if wallet == wallets[0] else Decimal(0)
        assert wallet.balance.amount == start - Decimal("0.25") * per_wallet
        assert wallet.last_seq == entries[-1].seq and wallet.last_hash == entries[-1].hash
    assert [check for check in ledger_verify() if not check.ok] == []


def test_keys_said_to_be_new_are_not_looked_up_and_a_posted_one_fails_the_insert():
    wallet = WalletFactory()
    post(wallet, "5", "k-1", kind="topup")
    with pytest.raises(IntegrityError), ledger_transaction(wallet_ids=[wallet.pk]) as ledger:
        ledger.post(keys_new=True, postings={wallet.pk: [
            Posting(kind="topup", amount=Decimal("5"), currency="USD", idempotency_key=key)
            for key in ("k-2", "k-1")]})
    wallet.refresh_from_db()
    assert (wallet.balance.amount, wallet.last_seq) == (Decimal("5"), 1)
