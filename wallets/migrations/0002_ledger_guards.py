"""The ledger's guarantees, held by the database itself.

- Entries are append-only (UPDATE and DELETE refused).
- An entry is in its wallet's currency, follows the wallet's previous entry (seq) and its
  balance_after is the previous balance plus its amount.
- A wallet's cached balance and chain head change only to match the entry at `last_seq`,
  which must already be written in the same transaction.
"""

from django.db import migrations

from hoopbilling.sql import append_only, vendor_sql

ENTRY_INSERT_GUARD = """
CREATE OR REPLACE FUNCTION wallets_entry_insert_guard() RETURNS trigger AS $$
DECLARE
    wallet_currency text;
    previous_balance numeric;
BEGIN
    SELECT balance_currency INTO wallet_currency FROM wallets_wallet WHERE id = NEW.wallet_id;
    IF NEW.amount_currency IS DISTINCT FROM wallet_currency THEN
        RAISE EXCEPTION 'entry in % posted to a wallet in %', NEW.amount_currency, wallet_currency
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.seq = 1 THEN
        previous_balance := 0;
    ELSE
        SELECT balance_after INTO previous_balance FROM wallets_entry
            WHERE wallet_id = NEW.wallet_id AND seq = NEW.seq - 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'entry % of wallet % follows no entry', NEW.seq, NEW.wallet_id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.balance_after <> previous_balance + NEW.amount THEN
        RAISE EXCEPTION 'entry % of wallet %: balance_after % is not % + %', NEW.seq,
            NEW.wallet_id, NEW.balance_after, previous_balance, NEW.amount
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER wallets_entry_insert_guard BEFORE INSERT ON wallets_entry
    FOR EACH ROW EXECUTE FUNCTION wallets_entry_insert_guard();

CREATE OR REPLACE FUNCTION wallets_wallet_balance_guard() RETURNS trigger AS $$
DECLARE
    head_balance numeric;
    head_hash text;
BEGIN
    IF NEW.balance_currency IS DISTINCT FROM OLD.balance_currency THEN
        RAISE EXCEPTION 'wallet % cannot change currency', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.balance IS DISTINCT FROM OLD.balance OR NEW.last_seq <> OLD.last_seq
            OR NEW.last_hash <> OLD.last_hash THEN
        SELECT balance_after, hash INTO head_balance, head_hash FROM wallets_entry
            WHERE wallet_id = NEW.id AND seq = NEW.last_seq;
        IF NEW.last_seq < OLD.last_seq OR NOT FOUND OR head_balance <> NEW.balance
                OR head_hash <> NEW.last_hash THEN
            RAISE EXCEPTION 'wallet % balance must equal the balance after its last entry', NEW.id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER wallets_wallet_balance_guard BEFORE UPDATE ON wallets_wallet
    FOR EACH ROW EXECUTE FUNCTION wallets_wallet_balance_guard();
"""

ENTRY_INSERT_GUARD_REVERSE = """
DROP TRIGGER IF EXISTS wallets_wallet_balance_guard ON wallets_wallet;
DROP FUNCTION IF EXISTS wallets_wallet_balance_guard();
DROP TRIGGER IF EXISTS wallets_entry_insert_guard ON wallets_entry;
DROP FUNCTION IF EXISTS wallets_entry_insert_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("wallets", "0001_initial")]

    operations = [
        append_only("wallets_entry"),
        vendor_sql(postgresql=([ENTRY_INSERT_GUARD], [ENTRY_INSERT_GUARD_REVERSE])),
    ]
