"""Tampering by someone who can write to the database but does not hold the ledger key: each
change is made the way such a person would (raw SQL, the guard triggers switched off as a
superuser may: `session_replication_role = replica`), and `verify_ledger` must name the
wallet and exit 1."""

import hashlib
import hmac
from datetime import timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from hoopbilling.signing import SigningKey, key_id_of, signing_key
from tests.factories import (
    AgencyFactory,
    AgencyPriceFactory,
    EntryFactory,
    SubAccountFactory,
)
from wallets.ledger.checkpoints import ledger_checkpoints_due, ledger_checkpoints_write
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import GENESIS_HASH, Entry, LedgerCheckpoint, Wallet
from wallets.ledger.posting import entry_hash, legacy_entry_hash
from wallets.usage.integrity import books_verify
from wallets.usage.models import UsageCharge
from wallets.usage.services import usage_record

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

OLD_KEY = "old-ledger-key-0123456789abcdefghijklmnop"
NEW_KEY = "new-ledger-key-0123456789abcdefghijklmnop"


def as_superuser(sql, params=()):
    """`sql` with every trigger off, as a superuser (or the tables' owner) can run it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = origin")


def fails_naming(wallet_id, capsys) -> str:
    """`verify_ledger` exits 1 naming the wallet; what it said about it."""
    with pytest.raises(CommandError) as failed:
        call_command("verify_ledger")
    assert failed.value.returncode == 1
    out = capsys.readouterr().out
    assert f"wallet {wallet_id} (sub-account" in out
    return out


def key_from(secret: str, rank: int = 0) -> SigningKey:
    return SigningKey(key_id=key_id_of(secret.encode()), rank=rank,
                      mac=hmac.new(secret.encode(), digestmod=hashlib.sha256))


def fields_of(entry: Entry, prev_hash: str, **changes) -> dict:
    fields = {"prev_hash": prev_hash, "wallet_id": entry.wallet_id, "seq": entry.seq,
              "kind": entry.kind, "amount": entry.amount.amount,
              "currency": entry.amount.currency.code,
              "balance_after": entry.balance_after.amount,
              "idempotency_key": entry.idempotency_key, "reference_type": entry.reference_type,
              "reference_id": entry.reference_id, "corrects_id": entry.corrects_id,
              "memo": entry.memo, "actor_label": entry.actor_label,
              "created_at": entry.created_at, "binding": entry.binding}
    fields.update(changes)
    return fields


def rewrite_chain(wallet_id: int, key: SigningKey, *, from_seq: int, **changes) -> None:
    """Re-sign the wallet's entries from `from_seq` on with `key` (`changes` to the first of
    them; balances follow) and move the head: a chain consistent under that key."""
    entries = list(Entry.objects.filter(wallet_id=wallet_id).order_by("seq"))
    prev_hash = GENESIS_HASH if from_seq == 1 else entries[from_seq - 2].hash
    balance = Decimal(0) if from_seq == 1 else entries[from_seq - 2].balance_after.amount
    for entry in entries[from_seq - 1:]:
        fields = fields_of(entry, prev_hash, **(changes if entry.seq == from_seq else {}))
        balance += fields["amount"]
        fields["balance_after"] = balance
        digest = entry_hash(key, **fields)
        as_superuser("UPDATE wallets_entry SET amount = %s, balance_after = %s, memo = %s, "
                     "hash = %s, key_id = %s WHERE id = %s",
                     [fields["amount"], balance, fields["memo"], digest, key.key_id, entry.pk])
        prev_hash = digest
    as_superuser("UPDATE wallets_wallet SET balance = %s, last_hash = %s WHERE id = %s",
                 [balance, prev_hash, wallet_id])


@pytest.fixture
def usage_client():
    client = SubAccountFactory(agency=AgencyFactory(open_credit=True))
    AgencyPriceFactory(agency=client.agency)
    for n in range(3):
        usage_record(agency=client.agency, event={
            "sub_account": str(client.pk), "item": "sms_outbound", "idempotency_key": f"e{n}",
            "quantity": "2"})
    wallet = Wallet.objects.get(sub_account=client)
    [check] = books_verify(wallet_ids=[wallet.pk])
    assert check.ok, check.problems
    return wallet


def test_a_forged_entry_with_a_plain_sha256_and_the_head_moved_fails(capsys):
    # given a wallet with two real entries
    entry = EntryFactory(amount=Decimal("10"))
    EntryFactory(wallet=entry.wallet, amount=Decimal("-4"))
    wallet = Wallet.objects.get(pk=entry.wallet_id)
    # when someone inserts a top-up of 500 hashed the way the old chain was, and moves the head
    now = timezone.now()
    digest = legacy_entry_hash(
        prev_hash=wallet.last_hash, wallet_id=wallet.pk, seq=3, kind="topup",
        amount=Decimal("500"), currency="USD", balance_after=Decimal("506"),
        idempotency_key="forged", reference_type="", reference_id="", corrects_id=None,
        created_at=now)
    as_superuser("""INSERT INTO wallets_entry (wallet_id, seq, kind, amount, amount_currency,
        balance_after, balance_after_currency, idempotency_key, reference_type, reference_id,
        memo, actor_label, created_at, hash, key_id, binding)
        VALUES (%s, 3, 'topup', 500, 'USD', 506, 'USD', 'forged', '', '', '', '', %s, %s,
                '', '')""", [wallet.pk, now, digest])
    as_superuser("UPDATE wallets_wallet SET balance = 506, last_seq = 3, last_hash = %s "
                 "WHERE id = %s", [digest, wallet.pk])
    # then
    out = fails_naming(wallet.pk, capsys)
    assert "entry seq 3 is not signed with a ledger key" in out


def test_a_forged_entry_signed_with_a_key_we_do_not_hold_fails(capsys):
    entry = EntryFactory(amount=Decimal("10"))
    forger = key_from("someone-elses-key-0123456789abcdefghij")
    rewrite_chain(entry.wallet_id, forger, from_seq=1, amount=Decimal("900"))
    out = fails_naming(entry.wallet_id, capsys)
    assert "which is not one of LEDGER_HMAC_KEYS" in out


def test_a_forged_entry_claiming_our_key_id_fails(capsys):
    entry = EntryFactory(amount=Decimal("10"))
    forger = key_from("someone-elses-key-0123456789abcdefghij")
    rewrite_chain(entry.wallet_id, SigningKey(key_id=signing_key().key_id, rank=0,
                                              mac=forger.mac), from_seq=1,
                  amount=Decimal("900"))
    out = fails_naming(entry.wallet_id, capsys)
    assert "entry seq 1: hash does not match its content under its key" in out


def test_an_edited_memo_fails(capsys):
    entry = EntryFactory(amount=Decimal("10"), memo="goodwill credit")
    as_superuser("UPDATE wallets_entry SET memo = 'approved by the CFO' WHERE id = %s",
                 [entry.pk])
    out = fails_naming(entry.wallet_id, capsys)
    assert "entry seq 1: hash does not match its content" in out


def test_an_edited_actor_label_fails(capsys):
    entry = EntryFactory(amount=Decimal("10"), actor_label="ops@example.com")
    as_superuser("UPDATE wallets_entry SET actor_label = 'ceo@example.com' WHERE id = %s",
                 [entry.pk])
    fails_naming(entry.wallet_id, capsys)


def test_a_doubled_usage_charge_fails(usage_client, capsys):
    # given a charge copied under a new key, billed to the agency so no entry is needed
    charge = UsageCharge.objects.filter(sub_account=usage_client.sub_account).first()
    columns = ", ".join(f.column for f in UsageCharge._meta.concrete_fields
                        if f.column not in {"id", "idempotency_key", "billed_to", "entry_id"})
    as_superuser(f"""INSERT INTO wallets_usagecharge (id, idempotency_key, billed_to, entry_id,
        {columns}) SELECT gen_random_uuid(), idempotency_key || '-again', 'agency', NULL,
        {columns} FROM wallets_usagecharge WHERE id = %s""", [charge.pk])
    out = fails_naming(usage_client.pk, capsys)
    assert "usage roll-up of sms_outbound" in out
    assert "usage counter of sms_outbound" in out


def test_a_changed_charge_amount_fails(usage_client, capsys):
    charge = UsageCharge.objects.filter(sub_account=usage_client.sub_account).first()
    as_superuser("UPDATE wallets_usagecharge SET amount = amount * 2 WHERE id = %s",
                 [charge.pk])
    out = fails_naming(usage_client.pk, capsys)
    assert f"usage charge {charge.pk} of" in out
    assert f"usage charge {charge.pk} is not what its entry seq" in out


def test_a_changed_charge_quantity_fails_though_the_amount_still_matches(usage_client, capsys):
    charge = UsageCharge.objects.filter(sub_account=usage_client.sub_account).first()
    as_superuser("UPDATE wallets_usagecharge SET quantity = 1 WHERE id = %s", [charge.pk])
    out = fails_naming(usage_client.pk, capsys)
    assert f"usage charge {charge.pk} is not what its entry seq" in out


def test_a_deleted_charge_fails(usage_client, capsys):
    charge = UsageCharge.objects.filter(sub_account=usage_client.sub_account).first()
    as_superuser("DELETE FROM wallets_usagecharge WHERE id = %s", [charge.pk])
    out = fails_naming(usage_client.pk, capsys)
    assert f"was made for charge {charge.pk}, which is gone" in out


@pytest.mark.parametrize("table", ["wallets_entry", "wallets_ledgercheckpoint",
                                   "wallets_invoice", "wallets_invoiceline",
                                   "wallets_agencystatement", "hoopbilling_auditlog"])
@pytest.mark.django_db(transaction=True)  # TRUNCATE waits for no deferred foreign key check
def test_truncate_is_refused(table):
    EntryFactory()
    with pytest.raises(DatabaseError, match=f"{table} is append-only: TRUNCATE refused"), \
            transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert Entry.objects.exists()


@pytest.mark.parametrize(("sql", "found"), [
    ("UPDATE wallets_usagecounter SET quantity = quantity - 1",
     "usage counter of sms_outbound for the period from"),
    ("UPDATE wallets_usagedaily SET amount = 0", "usage roll-up of sms_outbound on"),
])
def test_a_changed_counter_or_roll_up_fails(usage_client, capsys, sql, found):
    as_superuser(f"{sql} WHERE sub_account_id = %s", [usage_client.sub_account_id])
    assert found in fails_naming(usage_client.pk, capsys)


def test_a_chain_rewritten_with_a_leaked_old_key_below_a_checkpoint_fails(settings, capsys):
    # given entries and a checkpoint signed with a key, which is then rotated out of signing
    settings.LEDGER_HMAC_KEYS = [OLD_KEY]
    entry = EntryFactory(amount=Decimal("10"))
    for amount in ("-1", "-2"):
        EntryFactory(wallet=entry.wallet, amount=Decimal(amount))
    assert ledger_checkpoints_write(now=timezone.now()) == 1
    settings.LEDGER_HMAC_KEYS = [NEW_KEY, OLD_KEY]
    # when whoever holds the old key rewrites the history below the checkpoint, consistently
    rewrite_chain(entry.wallet_id, key_from(OLD_KEY, rank=1), from_seq=2,
                  amount=Decimal("-0.01"), memo="")
    # then every entry verifies under its key, but not against the checkpoint
    out = fails_naming(entry.wallet_id, capsys)
    assert "hash does not match" not in out
    assert "entry seq 3 is not the one checkpointed on" in out


def test_a_chain_rewritten_with_a_wrong_key_below_a_checkpoint_fails(capsys):
    entry = EntryFactory(amount=Decimal("10"))
    EntryFactory(wallet=entry.wallet, amount=Decimal("-1"))
    ledger_checkpoints_write(now=timezone.now())
    rewrite_chain(entry.wallet_id, key_from("a-wrong-key-0123456789abcdefghijklmnop"),
                  from_seq=1, amount=Decimal("20"))
    out = fails_naming(entry.wallet_id, capsys)
    assert "is not the one checkpointed on" in out


def test_a_chain_cut_back_below_a_checkpoint_fails(capsys):
    # given a checkpoint at seq 2
    entry = EntryFactory(amount=Decimal("10"))
    last = EntryFactory(wallet=entry.wallet, amount=Decimal("-1"))
    ledger_checkpoints_write(now=timezone.now())
    # when the last entry is deleted and the head moved back: a chain valid on its own
    as_superuser("DELETE FROM wallets_entry WHERE id = %s", [last.pk])
    as_superuser("UPDATE wallets_wallet SET balance = 10, last_seq = 1, last_hash = %s "
                 "WHERE id = %s", [entry.hash, entry.wallet_id])
    [check] = ledger_verify(wallet_ids=[entry.wallet_id])
    assert check.problems == [f"checkpointed on {timezone.now():%Y-%m-%d} at seq 2 but the "
                              "chain ends at seq 1 (entries removed)"]
    fails_naming(entry.wallet_id, capsys)


def test_a_forged_checkpoint_fails(capsys):
    entry = EntryFactory(amount=Decimal("10"))
    as_superuser("""INSERT INTO wallets_ledgercheckpoint (wallet_id, seq, hash, balance,
        currency, legacy_digest, created_at, key_id, signature)
        VALUES (%s, 1, %s, 10, 'USD', '', now(), %s, %s)""",
                 [entry.wallet_id, entry.hash, signing_key().key_id, "0" * 64])
    assert "is not signed by a ledger key" in fails_naming(entry.wallet_id, capsys)


def test_entries_signed_with_the_old_key_verify_after_a_new_key_is_added_in_front(settings,
                                                                                  capsys):
    # given entries signed with the old key
    settings.LEDGER_HMAC_KEYS = [OLD_KEY]
    first = EntryFactory(amount=Decimal("10"))
    ledger_checkpoints_write(now=timezone.now())
    # when a new key goes in front: the old entries verify, new ones are signed with the new key
    settings.LEDGER_HMAC_KEYS = [NEW_KEY, OLD_KEY]
    second = EntryFactory(wallet=first.wallet, amount=Decimal("-3"))
    assert (first.key_id, second.key_id) == (key_id_of(OLD_KEY.encode()),
                                             key_id_of(NEW_KEY.encode()))
    call_command("verify_ledger")
    assert capsys.readouterr().out.startswith("ok: 1 wallets, 2 entries verified")
    # but an entry signed with the old key after one signed with the new key is refused
    EntryFactory(wallet=first.wallet, amount=Decimal("-1"))
    rewrite_chain(first.wallet_id, key_from(OLD_KEY, rank=1), from_seq=3)
    assert "signed with an older key than the entry before it" in fails_naming(
        first.wallet_id, capsys)


def test_entries_of_a_key_removed_from_the_settings_fail(settings, capsys):
    settings.LEDGER_HMAC_KEYS = [OLD_KEY]
    entry = EntryFactory(amount=Decimal("10"))
    settings.LEDGER_HMAC_KEYS = [NEW_KEY]
    assert "which is not one of LEDGER_HMAC_KEYS" in fails_naming(entry.wallet_id, capsys)


def write_legacy_entries(wallet: Wallet, amounts: list[str], *, after=GENESIS_HASH, seq=0,
                         balance=Decimal(0)) -> str:
    """Entries as the code before the keyed chain wrote them (plain SHA-256, no key id)."""
    prev_hash, created_at = after, timezone.now() - timedelta(days=30)
    for amount in amounts:
        seq, balance = seq + 1, balance + Decimal(amount)
        fields = {"wallet_id": wallet.pk, "seq": seq, "kind": "adjustment",
                  "amount": Decimal(amount), "currency": "USD", "balance_after": balance,
                  "idempotency_key": f"legacy:{wallet.pk}:{seq}", "reference_type": "operator",
                  "reference_id": "", "corrects_id": None, "created_at": created_at}
        prev_hash = legacy_entry_hash(prev_hash=prev_hash, **fields)
        as_superuser("""INSERT INTO wallets_entry (wallet_id, seq, kind, amount,
            amount_currency, balance_after, balance_after_currency, idempotency_key,
            reference_type, reference_id, memo, actor_label, created_at, hash, key_id,
            binding) VALUES (%s, %s, 'adjustment', %s, 'USD', %s, 'USD', %s, 'operator', '',
            'goodwill', 'ops', %s, %s, '', '')""",
                     [wallet.pk, seq, Decimal(amount), balance, fields["idempotency_key"],
                      created_at, prev_hash])
    as_superuser("UPDATE wallets_wallet SET balance = %s, last_seq = %s, last_hash = %s "
                 "WHERE id = %s", [balance, seq, prev_hash, wallet.pk])
    return prev_hash


def legacy_chains_seal():
    migration = import_module("wallets.migrations.0017_ledger_keyed_chain")
    with transaction.atomic():
        migration.legacy_chains_seal(apps, None)


def test_legacy_entries_verify_up_to_their_seal_and_the_chain_goes_on_keyed(capsys):
    # given a wallet whose entries predate the keyed chain, sealed by the migration
    wallet = Wallet.objects.get(sub_account=SubAccountFactory())
    write_legacy_entries(wallet, ["10", "-2"])
    legacy_chains_seal()
    [seal] = LedgerCheckpoint.objects.filter(wallet=wallet)
    assert (seal.seq, seal.legacy_digest != "") == (2, True)
    # when the ledger goes on with keyed entries
    EntryFactory(wallet=wallet, amount=Decimal("-1"))
    # then the whole chain verifies
    call_command("verify_ledger")
    assert capsys.readouterr().out.startswith("ok: 1 wallets, 3 entries verified")


def test_a_legacy_memo_edited_after_the_seal_fails(capsys):
    wallet = Wallet.objects.get(sub_account=SubAccountFactory())
    write_legacy_entries(wallet, ["10", "-2"])
    legacy_chains_seal()
    as_superuser("UPDATE wallets_entry SET memo = 'approved' WHERE wallet_id = %s AND seq = 1",
                 [wallet.pk])
    assert "are not the ones the wallet's seal describes" in fails_naming(wallet.pk, capsys)


def test_a_legacy_entry_appended_after_the_seal_fails(capsys):
    wallet = Wallet.objects.get(sub_account=SubAccountFactory())
    head = write_legacy_entries(wallet, ["10"])
    legacy_chains_seal()
    write_legacy_entries(wallet, ["500"], after=head, seq=1, balance=Decimal(10))
    assert "entry seq 2 is not signed with a ledger key" in fails_naming(wallet.pk, capsys)


def test_the_seal_refuses_a_legacy_chain_that_fails_its_old_check():
    wallet = Wallet.objects.get(sub_account=SubAccountFactory())
    write_legacy_entries(wallet, ["10"])
    as_superuser("UPDATE wallets_entry SET amount = 99, balance_after = 99 WHERE wallet_id = %s",
                 [wallet.pk])
    with pytest.raises(RuntimeError, match=f"wallets \\[{wallet.pk}\\] fails its hash chain"):
        legacy_chains_seal()


def test_the_daily_checkpoint_job_writes_once_a_day_for_wallets_that_moved():
    entry = EntryFactory(amount=Decimal("10"))
    quiet = EntryFactory(amount=Decimal("5"))
    now = timezone.now()
    assert ledger_checkpoints_due(now) == {"ledger_checkpoints": 2}
    EntryFactory(wallet=entry.wallet, amount=Decimal("1"))
    assert ledger_checkpoints_due(now + timedelta(minutes=1)) == {}
    assert ledger_checkpoints_due(now + timedelta(days=1)) == {"ledger_checkpoints": 1}
    assert [(c.wallet_id, c.seq) for c in LedgerCheckpoint.objects.order_by("pk")] == [
        (entry.wallet_id, 1), (quiet.wallet_id, 1), (entry.wallet_id, 2)]
    assert [check for check in ledger_verify() if not check.ok] == []
