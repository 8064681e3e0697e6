"""Payments' part in the credit limit (`wallets.ledger.credit`): whether a top-up is being
charged for a wallet (the ledger defers a suspension while one is), and the agency's alerts
when a client is stopped at its limit and when it is back within it. A suspension for another
reason alerts through its own path (`topups.topup_fail`)."""

from hoopbilling.money import to_minor_units
from wallets.ledger.models import Wallet
from wallets.payments.models import Notification, TopUp
from wallets.payments.notifications import notification_send

# Being charged: asked for and not yet answered by the gateway. A declined top-up waiting
# for its retry, or one waiting for the client to authenticate, is not.
CHARGING = (TopUp.Status.PENDING, TopUp.Status.PROCESSING)


def topup_being_charged(*, wallet_id: int) -> bool:
    return TopUp.objects.filter(wallet_id=wallet_id, status__in=CHARGING).exists()


def _balance(sub_account) -> str:
    wallet = Wallet.objects.only("balance", "balance_currency").get(sub_account=sub_account)
    return f"{to_minor_units(wallet.balance.amount):,} {wallet.currency}"


def credit_limit_suspended_notify(*, sub_account) -> None:
    """The agency is told, in the app and by email, once per crossing (the suspension's
    moment is in the key), inside the transaction that suspended the client."""
    limit = sub_account.effective_credit_limit
    notification_send(
        agency=sub_account.agency, sub_account=sub_account, kind=Notification.Kind.CREDIT_LIMIT,
        message=(f"{sub_account.name} reached its credit limit of {to_minor_units(limit):,} "
                 f"{sub_account.agency.currency}: its balance is {_balance(sub_account)}. "
                 "Its blocked items (messaging and calling unless you chose others) are "
                 "refused until a top-up or a credit brings it back within the limit."),
        dedupe_key=f"credit_limit:{sub_account.pk}:{sub_account.suspended_at.isoformat()}")


def credit_limit_lifted_notify(*, sub_account, suspended_at) -> None:
    """The agency is told the client is live again, once per crossing."""
    notification_send(
        agency=sub_account.agency, sub_account=sub_account,
        kind=Notification.Kind.CREDIT_LIMIT_LIFTED,
        message=(f"{sub_account.name} is back within its credit limit (balance "
                 f"{_balance(sub_account)}): the suspension is lifted."),
        dedupe_key=f"credit_limit_lifted:{sub_account.pk}:{suspended_at.isoformat()}")
