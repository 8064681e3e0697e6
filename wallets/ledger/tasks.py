"""The nightly ledger check."""

import logging

from celery import shared_task

from wallets.ledger.integrity import ledger_verify

logger = logging.getLogger(__name__)


@shared_task(name="wallets.tasks.ledger_verify")
def ledger_verify_all() -> dict:
    """Nightly: check every wallet and log each drift loudly for the operators."""
    checks = ledger_verify()
    drifting = [check for check in checks if not check.ok]
    for check in drifting:
        logger.error("ledger drift in wallet %s: %s", check.wallet_id, "; ".join(check.problems))
    return {"wallets": len(checks), "drifting": [check.wallet_id for check in drifting]}
