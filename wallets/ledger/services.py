"""The ledger's front door: `ledger_transaction`, the one way to lock wallets and post to them;
and `wallet_open` for a new client's wallet.

A unit of work on wallets owns what every posting needs, in this order:

    one durable transaction (never inside another: a money change commits on its own)
      └─ the wallet rows locked in pk order (`locks.wallets_lock`), the caller's own rows after
         them (top-ups, counters: wallet first, always)
      └─ `post`: the balance before, the append (`posting.entries_append_many`), the audit row
         of an operator's posting, the credit limit (`credit.CreditControl`: a debit past it
         suspends the client, money in lifts it), and after the commit `wallet_debited` for
         each debit that left a wallet below its auto top-up threshold

The caller hands over postings (and the `Audit` of an operator's correction) and does, inside
the block, the reads and writes that must happen under the same locks:

    with ledger_transaction(wallet_ids=[wallet_id]) as ledger:
        topup = TopUp.objects.select_for_update().get(pk=topup_id)  # after the wallet
        entry, replayed = ledger.post_one(wallet_id, Posting(...))
        topup.entry = entry
        ...
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models import Q
from moneyed import Money

from hoopbilling.audit import audit_record
from subaccounts.models import SubAccount, SuspensionReason
from wallets.ledger.credit import CreditControl
from wallets.ledger.locks import wallets_lock
from wallets.ledger.models import Entry, Wallet
from wallets.ledger.posting import NewEntry, Posting, entries_append_many
from wallets.ledger.signals import wallet_debited_after_commit

Appended = dict[int, list[tuple[Entry | NewEntry, bool]]]


@dataclass(frozen=True)
class Audit:
    """The audit row of a posting someone asked for (a correction). The ledger writes it with
    the wallet's balance before and after and the new entry's id; `after` adds what the
    caller knows (the amount as the operator gave it, a refund's id)."""

    action: str
    obj: models.Model
    reason: str
    actor: object = None
    actor_label: str = ""
    after: dict = field(default_factory=dict)


class LedgerTransaction:
    """The unit of work `ledger_transaction` opens: `wallets` are locked, `post` appends."""

    def __init__(self, wallets: dict[int, Wallet]):
        self.wallets = wallets
        self.open = True
        # The clients of the locked wallets as read after the locks, and the credit limit.
        self.credit = CreditControl(wallets)

    def post(self, postings: dict[int, list[Posting]], *, audit: Audit | None = None,
             keys_new: bool = False, models: bool = True) -> Appended:
        """Append `postings` (by wallet id, wallets of this unit only) and return each
        wallet's (entry, replayed) pairs (see `entries_append_many` for `keys_new` and
        `models`). `audit` is for one posting: its row is written unless the posting is a
        replay."""
        if not self.open:
            raise RuntimeError("post inside the ledger_transaction block")
        unlocked = postings.keys() - self.wallets.keys()
        if unlocked:
            raise ValueError(f"wallets {sorted(unlocked)} are not locked by this transaction")
        if audit is not None and [len(batch) for batch in postings.values()] != [1]:
            raise ValueError("an audited posting is one entry in one wallet")
        before = {wallet_id: self.wallets[wallet_id].balance for wallet_id in postings}
        appended = entries_append_many(wallets=self.wallets, postings=postings,
                                       keys_new=keys_new, models=models)
        for wallet_id, batch in postings.items():
            new = [posting for posting, (_, replayed) in zip(batch, appended[wallet_id],
                                                             strict=True) if not replayed]
            if audit is not None and new:
                [(entry, _)] = appended[wallet_id]
                self._audit(audit, self.wallets[wallet_id], before[wallet_id], entry)
            debited = any(posting.amount < 0 for posting in new)
            if debited:
                wallet_debited_after_commit(sender=Entry, wallet=self.wallets[wallet_id])
            self.credit.apply(wallet_id, debited=debited,
                              credited=any(posting.amount > 0 for posting in new))
        return appended

    def post_one(self, wallet_id: int, posting: Posting, *,
                 audit: Audit | None = None) -> tuple[Entry, bool]:
        """`post` for one posting to one wallet: its (entry, replayed)."""
        [pair] = self.post({wallet_id: [posting]}, audit=audit)[wallet_id]
        return pair

    @staticmethod
    def _audit(audit: Audit, wallet: Wallet, before: Money, entry: Entry | NewEntry) -> None:
        agency_id = SubAccount.objects.values_list("agency_id", flat=True).get(
            pk=wallet.sub_account_id)
        audit_record(action=audit.action, obj=audit.obj, actor=audit.actor,
                     actor_label=audit.actor_label, agency_id=agency_id, reason=audit.reason,
                     before={"balance": str(before.amount)},
                     after={"balance": str(wallet.balance.amount), **audit.after,
                            "entry": entry.pk})


@contextmanager
def ledger_transaction(*, wallet_ids: Iterable[int]) -> Iterator[LedgerTransaction]:
    """Open a durable transaction with `wallet_ids` locked (see the module docstring); it
    commits when the block ends and rolls back if the block raises."""
    with transaction.atomic(durable=True):
        ledger = LedgerTransaction(wallets_lock(wallet_ids))
        try:
            yield ledger
        finally:
            ledger.open = False


@transaction.atomic
def wallet_open(*, sub_account: SubAccount) -> Wallet:
    """A new client's wallet: balance 0 in the agency's currency, auto top-up off."""
    currency = sub_account.agency.currency
    wallet = Wallet(
        sub_account=sub_account, balance=Money(0, currency),
        auto_topup_threshold=Money(0, currency), auto_topup_amount=Money(0, currency),
    )
    wallet.full_clean()
    wallet.save()
    return wallet


REVIEW_BATCH = 500


def credit_limits_review(*, agency_id=None, sub_account_id=None) -> int:
    """Lift the credit-limit suspensions whose clients are within their limit now (a limit
    raised, rebilling switched off: money coming in lifts them as it posts), of one agency,
    one client or every agency. Each client in a ledger transaction of its own, its balance
    read under its wallet lock. Returns how many were lifted."""
    suspended = Q(sub_account__suspension_reason=SuspensionReason.CREDIT_LIMIT)
    if agency_id is not None:
        suspended &= Q(sub_account__agency_id=agency_id)
    if sub_account_id is not None:
        suspended &= Q(sub_account_id=sub_account_id)
    lifted = 0
    for wallet_id in (Wallet.objects.filter(suspended).order_by("pk")
                      .values_list("pk", flat=True)[:REVIEW_BATCH]):
        with ledger_transaction(wallet_ids=[wallet_id]) as ledger:
            lifted += ledger.credit.lift(wallet_id)
    return lifted


def credit_limits_due(now) -> dict:
    """The billing job's sweep: what a review after a limit change would lift, had it not
    run (its process stopped between the change's commit and the review)."""
    return {"credit_limit_lifted": credit_limits_review()}
