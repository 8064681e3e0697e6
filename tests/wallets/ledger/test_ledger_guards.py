"""The database's own guarantees (PostgreSQL triggers) and the hash chain behind them."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from tests.factories import EntryFactory, WalletFactory
from wallets.ledger.integrity import ledger_verify

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_raw_update_of_an_entry_fails():
    entry = EntryFactory()
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE wallets_entry SET amount = 1000 WHERE id = %s", [entry.pk])


def test_raw_delete_of_an_entry_fails():
    entry = EntryFactory()
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM wallets_entry WHERE id = %s", [entry.pk])


def test_raw_insert_that_breaks_the_balance_chain_fails():
    entry = EntryFactory(amount=Decimal("10"))
    with pytest.raises(DatabaseError, match="balance_after"):
        raw("""INSERT INTO wallets_entry (wallet_id, seq, kind, amount, amount_currency,
                   balance_after, balance_after_currency, idempotency_key, reference_type,
                   reference_id, memo, actor_label, created_at, hash)
               VALUES (%s, 2, 'adjustment', 5, 'USD', 99, 'USD', 'raw', '', '', '', '', now(),
                   'x')""", [entry.wallet_id])


INSERT_TWO = """INSERT INTO wallets_entry (wallet_id, seq, kind, amount, amount_currency,
                   balance_after, balance_after_currency, idempotency_key, reference_type,
                   reference_id, memo, actor_label, created_at, hash)
               VALUES (%s, %s, 'adjustment', 5, 'USD', %s, 'USD', %s, '', '', '', '', now(), 'x'),
                      (%s, %s, 'adjustment', 5, 'USD', %s, 'USD', %s, '', '', '', '', now(), 'x')"""


@pytest.mark.parametrize(("seqs", "balances", "error"), [
    ((2, 3), (15, 20), None),  # a good chain of two rows in one statement
    ((2, 3), (15, 21), "balance_after 21.000000 is not 15.000000"),  # the second row is off
    ((2, 4), (15, 20), "entry 4 of wallet .* follows no entry"),  # a gap in seq
    ((3, 4), (15, 20), "entry 3 of wallet .* follows no entry"),
])
def test_each_row_of_a_multi_row_insert_is_checked(seqs, balances, error):
    entry = EntryFactory(amount=Decimal("10"))
    wallet = entry.wallet_id
    params = [wallet, seqs[0], balances[0], f"a-{seqs}-{balances}",
              wallet, seqs[1], balances[1], f"b-{seqs}-{balances}"]
    if error is None:
        raw(INSERT_TWO, params)
        return
    with pytest.raises(DatabaseError, match=error):
        raw(INSERT_TWO, params)


def test_raw_insert_in_another_currency_fails():
    wallet = WalletFactory()
    with pytest.raises(DatabaseError, match="posted to a wallet in USD"):
        raw("""INSERT INTO wallets_entry (wallet_id, seq, kind, amount, amount_currency,
                   balance_after, balance_after_currency, idempotency_key, reference_type,
                   reference_id, memo, actor_label, created_at, hash)
               VALUES (%s, 1, 'adjustment', 5, 'EUR', 5, 'EUR', 'raw', '', '', '', '', now(),
                   'x')""", [wallet.pk])


def test_cached_balance_cannot_be_changed_without_an_entry():
    wallet = EntryFactory(amount=Decimal("10")).wallet
    with pytest.raises(DatabaseError, match="balance must equal"):
        raw("UPDATE wallets_wallet SET balance = 1000000 WHERE id = %s", [wallet.pk])


def test_wallet_settings_can_still_change():
    wallet = EntryFactory(amount=Decimal("10")).wallet
    raw("UPDATE wallets_wallet SET auto_topup_enabled = true WHERE id = %s", [wallet.pk])


# ALTER TABLE needs no pending deferred FK checks, so these run outside the test transaction.
@pytest.mark.django_db(transaction=True)
def test_tampering_with_triggers_disabled_is_found_by_verify_ledger(capsys):
    entry = EntryFactory(amount=Decimal("10"))
    EntryFactory(wallet=entry.wallet, amount=Decimal("-4"))
    # given someone with database rights who switches the guard off and edits history
    raw("ALTER TABLE wallets_entry DISABLE TRIGGER USER")
    raw("UPDATE wallets_entry SET memo = 'edited', amount = 100, balance_after = 100 "
        "WHERE id = %s", [entry.pk])
    raw("ALTER TABLE wallets_entry ENABLE TRIGGER USER")
    # then
    [check] = ledger_verify(wallet_ids=[entry.wallet_id])
    assert any("hash does not match" in p for p in check.problems)
    with pytest.raises(CommandError):
        call_command("verify_ledger")
    assert f"wallet {entry.wallet_id}" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_deleted_last_entry_is_found_by_verify_ledger():
    wallet = EntryFactory(amount=Decimal("10")).wallet
    last = EntryFactory(wallet=wallet, amount=Decimal("5"))
    raw("ALTER TABLE wallets_entry DISABLE TRIGGER USER")
    raw("DELETE FROM wallets_entry WHERE id = %s", [last.pk])
    raw("ALTER TABLE wallets_entry ENABLE TRIGGER USER")
    [check] = ledger_verify(wallet_ids=[wallet.pk])
    assert not check.ok
    assert any("cached balance" in p for p in check.problems)
