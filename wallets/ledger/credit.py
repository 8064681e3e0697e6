"""The credit limit: how far below zero a rebilled client's wallet may go (the client's own
`SubAccount.credit_limit`, else its agency's `credit_limit`; 0 for a new agency).

The ledger's front door applies it to every wallet a posting moved, in the posting's
transaction and under the wallet lock (`services.LedgerTransaction.post` → `CreditControl`):

- a debit that leaves the balance below -limit suspends the client with reason
  `credit_limit` (its blocked items then answer 402), unless it is already suspended (for
  any reason: the first reason stays, so a payment suspension is never re-labelled) or a
  top-up is being charged for the wallet (asked through `signals.topup_in_progress`, which
  payments answers). The debit itself is recorded: the usage happened.
- money in (any positive posting: top-up, credit, adjustment, reversal) lifts a credit-limit
  suspension once the balance is back at or above -limit; never another reason's.
- a limit raised, or rebilling switched off, lifts the clients now within it
  (`services.credit_limits_review`, after the change commits and as a billing job).

Limits are never negative, so a debit that leaves the balance at or above zero costs nothing
here; a negative balance reads the wallet's client once per transaction (`clients`), the
read the usage path makes anyway, after the locks, to re-check suspensions.
Absorbed usage posts no entry, and a client whose usage is absorbed is never stopped.
"""

from dataclasses import dataclass
from decimal import Decimal

from agencies.models import Agency
from hoopbilling.db import model_columns, models_from_rows, prepared_cursor, where_in
from hoopbilling.money import to_minor_units
from subaccounts.models import SubAccount, SuspensionReason
from subaccounts.services import subaccount_lift, subaccount_suspend
from wallets.ledger.models import Wallet
from wallets.ledger.signals import topup_in_progress

ACTOR = "credit limit"
_CLIENT_FIELDS = ["id", "agency_id", "name", "rebilling_enabled", "credit_limit",
                  "credit_limit_currency", "suspended_at", "suspension_reason",
                  "suspension_note", "suspension_items"]
_AGENCY_FIELDS = ["id", "currency", "rebilling_enabled", "credit_limit", "credit_limit_currency",
                  "suspension_blocked_items"]


def clients_read(wallet_ids) -> dict[int, SubAccount]:
    """The clients of `wallet_ids` (by wallet id) as committed now, with what their limit and
    suspension rest on (their agency's rebilling switch, default limit and blocked items; the
    other fields deferred): one prepared statement. Read after the wallet locks, it sees
    every suspension committed by a transaction that held them before."""
    where, params = where_in("w.id", list(wallet_ids))
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT w.id, {model_columns(SubAccount, 's', _CLIENT_FIELDS)}, "
            f"{model_columns(Agency, 'a', _AGENCY_FIELDS)} FROM wallets_wallet w "
            "JOIN subaccounts_subaccount s ON s.id = w.sub_account_id "
            f"JOIN agencies_agency a ON a.id = s.agency_id WHERE {where}", params)
        rows = cursor.fetchall()
    width = len(_CLIENT_FIELDS)
    clients = models_from_rows(SubAccount, [row[1:1 + width] for row in rows], _CLIENT_FIELDS)
    agencies = models_from_rows(Agency, [row[1 + width:] for row in rows], _AGENCY_FIELDS)
    found = {}
    for row, client, agency in zip(rows, clients, agencies, strict=True):
        client.agency = agency
        found[row[0]] = client
    return found


def limit_passed(client: SubAccount, balance: Decimal) -> bool:
    """The balance is below the rebilled client's -limit (absorbed usage is never limited)."""
    return client.is_rebilled and balance < -client.effective_credit_limit


def _amount(value: Decimal, currency: str) -> str:
    return f"{to_minor_units(value):,} {currency}"


class CreditControl:
    """The credit limit over the wallets one ledger transaction holds locked: what it read of
    their clients and whether a top-up is being charged, once each per transaction."""

    def __init__(self, wallets: dict[int, Wallet]):
        self.wallets = wallets
        self._clients: dict[int, SubAccount] = {}
        self._charging: dict[int, bool] = {}

    def clients(self, wallet_ids=None) -> dict[int, SubAccount]:
        """The locked wallets' clients (all, or those of `wallet_ids`), read once
        (`clients_read`); a suspension or lift made here updates them."""
        ids = list(self.wallets if wallet_ids is None else wallet_ids)
        missing = [wallet_id for wallet_id in ids if wallet_id not in self._clients]
        if missing:
            self._clients.update(clients_read(missing))
        return {wallet_id: self._clients[wallet_id] for wallet_id in ids}

    def suspension_due(self, wallet_id: int, balance: Decimal) -> bool:
        """Whether a debit that leaves the wallet at `balance` suspends its client: rebilled,
        below -limit, not suspended yet, and no top-up being charged. The usage path asks it
        event by event within a batch; `apply` asks it of the balance the postings left."""
        if balance >= 0:
            return False
        client = self.clients([wallet_id])[wallet_id]
        if client.suspended or not limit_passed(client, balance):
            return False
        if wallet_id not in self._charging:
            self._charging[wallet_id] = any(
                answer for _, answer in topup_in_progress.send(sender=Wallet,
                                                               wallet_id=wallet_id))
        return not self._charging[wallet_id]

    def apply(self, wallet_id: int, *, debited: bool, credited: bool) -> None:
        """After postings moved the wallet: suspend at the limit, or lift within it."""
        balance = self.wallets[wallet_id].balance.amount
        if not credited and (not debited or balance >= 0):
            return  # the hot path: a debit that leaves the wallet in credit
        currency = self.wallets[wallet_id].currency
        if credited:
            client = self.clients([wallet_id])[wallet_id]
            if (client.suspension_reason == SuspensionReason.CREDIT_LIMIT
                    and not limit_passed(client, balance)):
                self.lift(wallet_id)
                return
        if debited and self.suspension_due(wallet_id, balance):
            client = self._clients[wallet_id]
            subaccount_suspend(
                sub_account=client, reason=SuspensionReason.CREDIT_LIMIT, actor_label=ACTOR,
                note=(f"Credit limit reached: the balance is {_amount(balance, currency)}, "
                      f"past the limit of {_amount(client.effective_credit_limit, currency)}."))

    def lift(self, wallet_id: int) -> bool:
        """Lift the wallet's client's credit-limit suspension if its balance is within the
        limit now (or its usage is absorbed); True when it did."""
        client = self.clients([wallet_id])[wallet_id]
        wallet = self.wallets[wallet_id]
        if (client.suspension_reason != SuspensionReason.CREDIT_LIMIT
                or limit_passed(client, wallet.balance.amount)):
            return False
        return subaccount_lift(
            sub_account=client, only=(SuspensionReason.CREDIT_LIMIT,), actor_label=ACTOR,
            reason=(f"Back within the credit limit: the balance is "
                    f"{_amount(wallet.balance.amount, wallet.currency)}."))


@dataclass(frozen=True)
class CreditStatus:
    """A client's credit limit as its pages show it."""

    limit: Decimal  # the effective limit
    own: bool  # the client's own limit, not the agency's default
    headroom: Decimal  # balance + limit: what it may still spend (negative: past the limit)
    limited: bool  # rebilled: absorbed usage is never limited


def credit_status(*, sub_account: SubAccount, balance: Decimal) -> CreditStatus:
    limit = sub_account.effective_credit_limit
    return CreditStatus(limit=limit, own=sub_account.credit_limit is not None,
                        headroom=balance + limit, limited=sub_account.is_rebilled)
