"""Reads of the ledger shared by the pages of several packages (payments, billing)."""

from wallets.ledger.models import Entry, Wallet


def wallet_credits_and_refunds(*, wallet: Wallet, limit: int = 20) -> list[Entry]:
    """The wallet's newest agency credits and refunds to the card: the movements its pages
    show apart from paid top-ups."""
    return list(Entry.objects.filter(wallet=wallet, kind__in=[Entry.Kind.CREDIT,
                                                              Entry.Kind.REFUND])
                .select_related("topup_refund").order_by("-seq")[:limit])
