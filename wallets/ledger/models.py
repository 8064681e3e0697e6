"""Wallets and their append-only ledger.

A wallet's `balance` is a cache of the sum of its entries. It changes only in the transaction
that appends an entry, under the wallet's row lock (`wallets.ledger.services`). Entries are never
updated, deleted or truncated: the database refuses it (triggers in migrations 0002 and
0014), and each entry carries an HMAC-SHA256, under a key kept outside the database, of all
its fields chained to the previous entry of its wallet, so that a change made behind the
database's back is still found by `verify_ledger`. A daily `LedgerCheckpoint`, signed with the
same keys, pins each wallet's head, so that a chain cut short or rewritten below it is found
too.
"""

from django.db import models
from django.db.models import F, Q
from djmoney.models.fields import MoneyField

from agencies.models import CURRENCY_CHOICES
from hoopbilling.history import tracked
from hoopbilling.money import DECIMAL_PLACES, MAX_DIGITS
from subaccounts.models import SubAccount

GENESIS_HASH = "0" * 64


def money_field(**kwargs):
    return MoneyField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                      currency_choices=CURRENCY_CHOICES, **kwargs)


# The database history of the auto top-up settings only (`WalletSettingsEvent`): its update
# trigger fires when one of these columns changes, so the balance and chain head that every
# posting moves write no history (the ledger is their history).
@tracked(model_name="WalletSettingsEvent", fields=[
    "id", "sub_account", "auto_topup_enabled", "auto_topup_threshold",
    "auto_topup_threshold_currency", "auto_topup_amount", "auto_topup_amount_currency",
    "auto_topup_max_balance", "auto_topup_max_balance_currency"])
class Wallet(models.Model):
    sub_account = models.OneToOneField(SubAccount, on_delete=models.PROTECT,
                                       related_name="wallet")
    balance = money_field(default=0)
    auto_topup_enabled = models.BooleanField(default=False)
    auto_topup_threshold = money_field(default=0)
    auto_topup_amount = money_field(default=0)
    auto_topup_max_balance = money_field(null=True, blank=True)
    # The chain's head: seq and hash of the last entry (0 and GENESIS_HASH when empty).
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(last_seq__gte=0), name="wallet_seq_not_negative"),
            models.CheckConstraint(condition=Q(auto_topup_threshold__gte=0),
                                   name="wallet_threshold_not_negative"),
            models.CheckConstraint(condition=Q(auto_topup_amount__gte=0),
                                   name="wallet_topup_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(auto_topup_max_balance__isnull=True)
                | Q(auto_topup_max_balance__gte=F("auto_topup_threshold")),
                name="wallet_cap_not_below_threshold",
            ),
            models.CheckConstraint(
                condition=Q(auto_topup_threshold_currency=F("balance_currency"),
                            auto_topup_amount_currency=F("balance_currency"))
                & (Q(auto_topup_max_balance__isnull=True)
                   | Q(auto_topup_max_balance_currency=F("balance_currency"))),
                name="wallet_settings_in_wallet_currency",
            ),
        ]

    def __str__(self):
        return f"Wallet of {self.sub_account}"

    @property
    def currency(self) -> str:
        return self.balance.currency.code


class Entry(models.Model):
    class Kind(models.TextChoices):
        USAGE = "usage", "Usage charge"
        TOPUP = "topup", "Top-up"
        ADJUSTMENT = "adjustment", "Adjustment"
        REFUND = "refund", "Refund"
        REVERSAL = "reversal", "Reversal"
        CREDIT = "credit", "Agency credit"

    # Indexed by the unique (wallet, seq) that leads with it.
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries",
                               db_index=False)
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = money_field()
    balance_after = money_field()
    idempotency_key = models.CharField(max_length=300, unique=True)
    # What caused the entry, e.g. ("usage_charge", "<uuid>") or ("topup", "<uuid>").
    reference_type = models.CharField(max_length=40, blank=True)
    reference_id = models.CharField(max_length=64, blank=True)
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="corrections")
    memo = models.CharField(max_length=255, blank=True)
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()
    # HMAC-SHA256 under the key `key_id` names (hoopbilling/signing.py); "" for the plain
    # SHA-256 of entries written before the keyed chain, which their wallet's seal vouches for.
    hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=8, blank=True, default="", db_default="")
    # The digest of the usage charge the entry pays for (its item, quantity, unit price and
    # amount), signed with the entry; "" when it pays for no charge.
    binding = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["wallet", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["wallet", "seq"], name="entry_seq_unique"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="entry_seq_positive"),
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(amount_currency=F("balance_after_currency")),
                name="entry_one_currency",
            ),
            # Usage only takes money out, top-ups and the agency's credits only put it in,
            # refunds send it back to the card; adjustments and reversals may go either way.
            models.CheckConstraint(
                condition=(Q(kind="usage", amount__lt=0) | Q(kind="topup", amount__gt=0)
                           | Q(kind="credit", amount__gt=0) | Q(kind="refund", amount__lt=0)
                           | Q(kind__in=["adjustment", "reversal"])),
                name="entry_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["usage", "topup", "adjustment", "refund", "reversal",
                                      "credit"]),
                name="entry_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(kind="reversal", corrects__isnull=False) | ~Q(kind="reversal"),
                name="entry_reversal_points_at_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["reference_type", "reference_id"], name="entry_reference"),
            # Period totals and date filters of the usage ledger (monitoring).
            models.Index(fields=["wallet", "created_at", "seq"], name="entry_wallet_time"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.kind} {self.amount}"


class LedgerCheckpoint(models.Model):
    """A wallet's head (seq, hash, balance) at a moment, signed with the ledger's key: written
    daily (`wallets.ledger.checkpoints.ledger_checkpoints_due`) outside the entries and the
    wallet, so that `verify_ledger` finds a chain cut back below it or rewritten under it
    (by whoever held an old key, or wrote the rows in bulk) even where each entry's own hash
    looks right. Append-only, like the entries.

    A seal is the checkpoint the keyed chain began with (migration 0014): `legacy_digest`
    is then the SHA-256 over every field of the wallet's entries up to `seq`, which had only
    a plain SHA-256 of part of their fields; those entries are accepted as the seal
    describes them, and no unkeyed entry after it.
    """

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="checkpoints",
                               db_index=False)
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    balance = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    currency = models.CharField(max_length=3)
    legacy_digest = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)
    key_id = models.CharField(max_length=8)
    signature = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["wallet", "seq"], name="checkpoint_wallet_seq")]

    def __str__(self):
        return f"wallet {self.wallet_id} at #{self.seq}"
