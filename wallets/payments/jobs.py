"""The payment jobs, each `(now) -> dict of counts`: Stripe events to apply again, auto
top-ups to request, top-ups due for an attempt, payment suspensions to lift. Due work is found
from rows, so a missed run is caught up by the next."""

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q

from subaccounts.models import SubAccount, SuspensionReason
from subaccounts.services import subaccount_lift
from wallets.ledger.models import Entry, Wallet
from wallets.payments.models import PaymentEvent, TopUp
from wallets.payments.stripe_events import payment_event_process
from wallets.payments.topups import topup_attempt, topup_request

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
# A Stripe event still `started` this long after its last try was left by a killed worker.
PROCESSING_LEASE = timedelta(minutes=5)
MAX_TRIES = 5


def payment_events_due(now: datetime) -> dict:
    """Stripe events a worker failed on or left half-done, retried a few times."""
    stale = now - PROCESSING_LEASE
    left = Q(status=PaymentEvent.Status.STARTED) & (
        Q(processed_at__lte=stale) | Q(processed_at__isnull=True, received_at__lte=stale))
    event_ids = list(PaymentEvent.objects.filter(tries__lt=MAX_TRIES)
                     .filter(Q(status=PaymentEvent.Status.FAILED) | left)
                     .order_by("received_at").values_list("event_id", flat=True)[:BATCH_SIZE])
    done = failed = 0
    for event_id in event_ids:
        try:
            payment_event_process(event_id=event_id, now=now)
            done += 1
        except Exception:  # recorded on the row; the others still run
            failed += 1
    return {"payment_events_processed": done, "payment_events_failed": failed}


def auto_topups_request(now: datetime) -> dict:
    """Wallets below their threshold with auto top-up on and nothing in flight."""
    wallet_ids = list(
        Wallet.objects.filter(auto_topup_enabled=True,
                              balance__lt=F("auto_topup_threshold"))
        .exclude(topups__status__in=TopUp.IN_FLIGHT)
        .order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE])
    counts = Counter()
    for wallet_id in wallet_ids:
        topup = topup_request(wallet_id=wallet_id, trigger=TopUp.Trigger.AUTO, now=now,
                              enqueue=False)
        if topup is not None:
            counts["auto_topups_requested"] += 1
            _attempt_and_count(topup.pk, now, counts)
    return {"auto_topups_requested": 0, **counts}


def topups_due(now: datetime) -> dict:
    """First attempts, retries on the agency's schedule, and attempts a killed worker left."""
    counts = Counter()
    topup_ids = list(TopUp.objects.filter(status__in=TopUp.IN_FLIGHT, next_attempt_at__lte=now)
                     .order_by("next_attempt_at").values_list("pk", flat=True)[:BATCH_SIZE])
    for topup_id in topup_ids:
        _attempt_and_count(topup_id, now, counts)
    return {"topups_attempted": 0, "topups_succeeded": 0, "topups_failed": 0, **counts}


def _attempt_and_count(topup_id, now, counts: Counter) -> None:
    try:
        topup = topup_attempt(topup_id=topup_id, now=now)
    except Exception:  # one failing top-up must not stop the others; it stays due
        logger.exception("top-up %s attempt failed", topup_id)
        counts["topup_errors"] += 1
        return
    counts["topups_attempted"] += 1
    if topup.status == TopUp.Status.SUCCEEDED:
        counts["topups_succeeded"] += 1
    elif topup.status in (TopUp.Status.RETRYING, TopUp.Status.REQUIRES_ACTION,
                          TopUp.Status.FAILED):
        counts["topups_failed"] += 1
    if topup.status == TopUp.Status.FAILED:
        counts["suspensions"] += 1


def suspensions_lift_settled(now: datetime) -> dict:
    """Payment suspensions whose outstanding amount was settled another way (an adjustment).

    Money must have come in since the suspension: a client suspended while its balance was
    still positive (its top-up failed before it ran out) owes nothing yet, and lifting it
    at once would leave it unsuspended with a card that never pays.
    """
    paid_since = Entry.objects.filter(wallet__sub_account=OuterRef("pk"), amount__gt=0,
                                      created_at__gt=OuterRef("suspended_at"))
    lifted = 0
    for sub_account in SubAccount.objects.filter(
            Exists(paid_since), suspension_reason=SuspensionReason.PAYMENT_FAILED,
            wallet__balance__gte=0,
    ).order_by("pk")[:BATCH_SIZE]:
        lifted += subaccount_lift(sub_account=sub_account, only=(SuspensionReason.PAYMENT_FAILED,),
                                  actor_label="payments")
    return {"suspensions_lifted": lifted}
