"""The keyed chain: entries record the ledger key that signed them (`key_id`) and the digest
of the usage charge they pay for (`binding`); checkpoints of each wallet's head, signed, in a
table of their own (append-only).

The entries already written keep their plain SHA-256 (entries are never edited). After
checking each wallet's chain under that old scheme, this migration seals it: a checkpoint at
the wallet's head whose `legacy_digest` covers every field of those entries (memo and actor
label too, which the old hash left out), signed with the newest ledger key. From then on
`verify_ledger` accepts unkeyed entries only up to their wallet's seal, as the seal describes
them. A chain that fails the old check is not sealed: the migration stops and names the
wallets (run `manage.py verify_ledger` before, and stop the workers while it runs, so no
unkeyed entry is written after the seal).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

from hoopbilling.sql import append_only, sqlite_append_only_again
from wallets.ledger.checkpoints import (
    LEGACY_DIGEST_START,
    checkpoint_signed,
    legacy_digest_next,
)
from wallets.ledger.models import GENESIS_HASH
from wallets.ledger.posting import entry_material, legacy_entry_hash

FIELDS = ("seq", "kind", "amount", "amount_currency", "balance_after", "idempotency_key",
          "reference_type", "reference_id", "corrects_id", "memo", "actor_label", "created_at",
          "hash")


def legacy_chains_seal(apps, schema_editor):
    Wallet = apps.get_model("wallets", "Wallet")
    Entry = apps.get_model("wallets", "Entry")
    LedgerCheckpoint = apps.get_model("wallets", "LedgerCheckpoint")
    now = timezone.now()
    seals, broken = [], []
    heads = Wallet.objects.filter(last_seq__gt=0).order_by("pk").values_list(
        "pk", "last_seq", "last_hash", "balance", "balance_currency")
    for wallet_id, last_seq, last_hash, balance, currency in heads:
        seq, prev_hash, digest, total, ok = 0, GENESIS_HASH, LEGACY_DIGEST_START, 0, True
        rows = (Entry.objects.filter(wallet_id=wallet_id).order_by("seq")
                .values_list(*FIELDS).iterator(chunk_size=5000))
        for (e_seq, kind, amount, currency, balance_after, key, ref_type, ref_id, corrects_id,
             memo, actor_label, created_at, entry_hash) in rows:
            total += amount
            content = {"wallet_id": wallet_id, "seq": e_seq, "kind": kind, "amount": amount,
                       "currency": currency, "balance_after": balance_after,
                       "idempotency_key": key, "reference_type": ref_type,
                       "reference_id": ref_id, "corrects_id": corrects_id,
                       "created_at": created_at}
            ok = ok and e_seq == seq + 1 and balance_after == total and legacy_entry_hash(
                prev_hash=prev_hash, **content) == entry_hash
            digest = legacy_digest_next(digest, entry_material(
                prev_hash=digest, memo=memo, actor_label=actor_label, binding="", key_id="",
                **content), entry_hash)
            seq, prev_hash = e_seq, entry_hash
        if not ok or (last_seq, last_hash, balance) != (seq, prev_hash, total):
            broken.append(wallet_id)
            continue
        seal = checkpoint_signed(wallet_id=wallet_id, seq=seq, hash=prev_hash, balance=total,
                                 currency=currency, created_at=now, legacy_digest=digest)
        seals.append(LedgerCheckpoint(**{f.attname: getattr(seal, f.attname)
                                         for f in seal._meta.concrete_fields
                                         if f.attname != "id"}))
    if broken:
        raise RuntimeError(
            f"The ledger of wallets {broken} fails its hash chain: not sealing it. Find out "
            "why with `manage.py verify_ledger` before migrating.")
    LedgerCheckpoint.objects.bulk_create(seals, batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('wallets', '0016_usage_and_invoice_totals_widened'),
    ]

    operations = [
        migrations.AddField(
            model_name='entry',
            name='binding',
            field=models.CharField(blank=True, db_default='', default='', max_length=64),
        ),
        migrations.AddField(
            model_name='entry',
            name='key_id',
            field=models.CharField(blank=True, db_default='', default='', max_length=8),
        ),
        migrations.CreateModel(
            name='LedgerCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.BigIntegerField()),
                ('hash', models.CharField(max_length=64)),
                ('balance', models.DecimalField(decimal_places=6, max_digits=18)),
                ('currency', models.CharField(max_length=3)),
                ('legacy_digest', models.CharField(blank=True, default='', max_length=64)),
                ('created_at', models.DateTimeField(db_index=True)),
                ('key_id', models.CharField(max_length=8)),
                ('signature', models.CharField(max_length=64)),
                ('wallet', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='checkpoints', to='wallets.wallet')),
            ],
            options={
                'indexes': [models.Index(fields=['wallet', 'seq'], name='checkpoint_wallet_seq')],
            },
        ),
        # SQLite rebuilt wallets_entry to add the columns, dropping its triggers.
        sqlite_append_only_again("wallets_entry"),
        append_only("wallets_ledgercheckpoint"),
        migrations.RunPython(legacy_chains_seal, migrations.RunPython.noop),
    ]
