"""Auto top-up: a wallet's settings; when an automatic top-up is due and for how much (the
threshold, the cap, the runaway guard, a card that already failed every retry); and what
happens after a debit (the `wallet_debited` signal): the auto top-up check. The low-balance
warnings are `wallets.alerts`'."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from moneyed import Money

from hoopbilling.audit import audit_record
from hoopbilling.errors import InvalidInput
from hoopbilling.money import (
    AMOUNT_MAX,
    CENT,
    TOPUP_MIN,
    bounded_decimal,
    ensure_decimal,
    to_minor_units,
)
from subaccounts.models import SubAccount
from wallets.ledger.locks import wallet_lock
from wallets.ledger.models import Wallet
from wallets.payments.models import Notification, TopUp
from wallets.payments.notifications import notification_send
from wallets.payments.signals import wallet_below_threshold

RUNAWAY_LIMIT = 3
RUNAWAY_WINDOW = timedelta(minutes=10)

# A wallet below its threshold is debited again and again until its top-up lands: at most one
# check per wallet waits in the queue (the task opens the gate when it starts). Should a check
# be lost, the gate closes by itself after this many seconds, and billing_jobs_run's sweep
# every minute catches the wallet meanwhile.
AUTO_TOPUP_CHECK_GATE = 60


def auto_topup_check_gate(wallet_id: int) -> str:
    return f"auto_topup_check:{wallet_id}"


def debit_followup(*, wallet_id: int, balance: Decimal, wallet: Wallet | None = None) -> None:
    """After a debit below the threshold: the auto top-up check, at most one waiting per
    wallet. (With auto top-up off, the threshold is the client's default low-balance level:
    `wallets.alerts` warns then.)"""
    if wallet is None:
        wallet = Wallet.objects.filter(pk=wallet_id).first()
    if (wallet is None or not wallet.auto_topup_enabled
            or balance >= wallet.auto_topup_threshold.amount):
        return
    if cache.add(auto_topup_check_gate(wallet_id), True, timeout=AUTO_TOPUP_CHECK_GATE):
        wallet_below_threshold.send(sender=Wallet, wallet_id=wallet_id)


@transaction.atomic
def wallet_settings_set(*, wallet: Wallet, enabled: bool | None = None, threshold=None,
                        amount=None, max_balance=..., actor=None,
                        actor_label: str = "") -> Wallet:
    """Change auto top-up settings (PATCH semantics: None leaves a value as it is;
    `max_balance=None` removes the cap). It posts nothing, so it locks the wallet itself
    rather than through `ledger_transaction`, inside its caller's transaction when there is
    one (the admin saves in its own)."""
    wallet = wallet_lock(wallet.pk)
    before = _settings_snapshot(wallet)
    currency = wallet.currency

    def money(value, field, places=6):
        try:
            decimal = ensure_decimal(value, field=field)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"{value!r} is not an amount.", field=field) from exc
        return Money(bounded_decimal(decimal, field=field, maximum=AMOUNT_MAX, places=places),
                     currency)

    if enabled is not None:
        if not isinstance(enabled, bool):
            raise InvalidInput("Use true or false.", field="enabled")
        wallet.auto_topup_enabled = enabled
    if threshold is not None:
        wallet.auto_topup_threshold = money(threshold, "threshold")
    if amount is not None:
        wallet.auto_topup_amount = money(amount, "amount", places=2)  # a card charge
    if max_balance is not ...:
        wallet.auto_topup_max_balance = (None if max_balance is None
                                         else money(max_balance, "max_balance"))
    cap = wallet.auto_topup_max_balance
    if cap is not None and cap.amount < wallet.auto_topup_threshold.amount:
        raise InvalidInput("The maximum balance cannot be below the threshold.",
                           field="max_balance")
    if wallet.auto_topup_enabled and wallet.auto_topup_amount.amount < TOPUP_MIN:
        # Less is never charged: whole cents, and a card charge of TOPUP_MIN at least, the
        # same as "Add funds".
        raise InvalidInput(f"Auto top-up needs an amount of at least {TOPUP_MIN}.",
                           field="amount")
    Wallet.objects.filter(pk=wallet.pk).update(
        auto_topup_enabled=wallet.auto_topup_enabled,
        auto_topup_threshold=wallet.auto_topup_threshold,
        auto_topup_amount=wallet.auto_topup_amount,
        auto_topup_max_balance=wallet.auto_topup_max_balance, updated_at=timezone.now())
    audit_record(action="wallet.auto_topup_set", obj=wallet, actor=actor,
                 actor_label=actor_label, agency_id=wallet.sub_account.agency_id,
                 before=before, after=_settings_snapshot(wallet))
    if wallet.auto_topup_enabled and wallet.balance < wallet.auto_topup_threshold:
        wallet_below_threshold.send(sender=Wallet, wallet_id=wallet.pk)
    return wallet


def _settings_snapshot(wallet: Wallet) -> dict:
    cap = wallet.auto_topup_max_balance
    return {"enabled": wallet.auto_topup_enabled,
            "threshold": str(wallet.auto_topup_threshold.amount),
            "amount": str(wallet.auto_topup_amount.amount),
            "max_balance": None if cap is None else str(cap.amount)}


def auto_topup_amount(wallet: Wallet) -> Decimal:
    """`amount` plus the outstanding amount, in whole cents, never above `max_balance`."""
    balance = wallet.balance.amount
    outstanding = max(Decimal(0), -balance)
    target = wallet.auto_topup_amount.amount + outstanding
    cap = wallet.auto_topup_max_balance.amount if wallet.auto_topup_max_balance else None
    if cap is not None:
        target = min(target, cap - balance)
    charge = to_minor_units(target)
    if cap is not None and balance + charge > cap:
        charge -= CENT  # half-up rounding must not push the balance over the cap
    return max(charge, Decimal(0))


def _card_failed_before(wallet: Wallet, sub_account: SubAccount) -> bool:
    """The client is suspended and the last top-up ran out of retries on the card still on
    file: charging it again would only fail again (a new card re-opens that top-up, see
    `payment_method_attach`). Once the suspension is lifted (money from elsewhere, an
    operator), the card is tried again, and the client suspended again if it fails again."""
    if not sub_account.suspended:
        return False
    last = TopUp.objects.filter(wallet=wallet).order_by("-created_at").first()
    if last is None or last.status != TopUp.Status.FAILED:
        return False
    attempt = last.attempt_rows.order_by("-number").first()
    return attempt is not None and attempt.payment_method == sub_account.payment_method_id


def auto_topup_due_amount(wallet: Wallet, sub_account: SubAccount, in_flight: bool,
                          now: datetime) -> Decimal | None:
    """What an automatic top-up asks for now, or None when none is due: auto top-up on,
    below the threshold, nothing in flight, a card on file that has not failed every retry
    already, and no more than RUNAWAY_LIMIT within RUNAWAY_WINDOW (else auto top-up is
    paused and the agency alerted). The caller holds the wallet's lock."""
    threshold = wallet.auto_topup_threshold.amount
    if (not wallet.auto_topup_enabled or wallet.balance.amount >= threshold or in_flight
            or not sub_account.payment_method_id or _card_failed_before(wallet, sub_account)):
        return None
    recent = TopUp.objects.filter(wallet=wallet, trigger=TopUp.Trigger.AUTO,
                                  created_at__gt=now - RUNAWAY_WINDOW).count()
    if recent >= RUNAWAY_LIMIT:
        _runaway_pause(wallet, sub_account, now)
        return None
    value = auto_topup_amount(wallet)
    return value if value > 0 else None


def _runaway_pause(wallet, sub_account, now) -> None:
    Wallet.objects.filter(pk=wallet.pk).update(auto_topup_enabled=False, updated_at=now)
    wallet.auto_topup_enabled = False
    audit_record(action="wallet.auto_topup_paused", obj=wallet, actor_label="system",
                 agency_id=sub_account.agency_id,
                 reason=f"more than {RUNAWAY_LIMIT} automatic top-ups within 10 minutes")
    notification_send(
        agency=sub_account.agency, sub_account=sub_account, kind=Notification.Kind.RUNAWAY,
        message=(f"Auto top-up for {sub_account.name} was paused: more than {RUNAWAY_LIMIT} "
                 "automatic top-ups within 10 minutes. Check its usage, then turn auto top-up "
                 "back on."),
        dedupe_key=f"runaway:{wallet.pk}:{now:%Y%m%d%H%M%S}",
    )
