"""The nightly check of the books (`wallets.usage.integrity.books_verify`: the ledger, and
the usage charges and roll-ups against it)."""

import logging

from celery import shared_task

from wallets.usage.integrity import books_verify

logger = logging.getLogger(__name__)


@shared_task(name="wallets.tasks.ledger_verify")
def ledger_verify_all() -> dict:
    """Nightly: check every wallet and log each drift loudly for the operators."""
    checks = books_verify()
    drifting = [check for check in checks if not check.ok]
    for check in drifting:
        logger.error("ledger drift in wallet %s: %s", check.wallet_id, "; ".join(check.problems))
    return {"wallets": len(checks), "drifting": [check.wallet_id for check in drifting]}
