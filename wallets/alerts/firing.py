"""When alerts fire: the evaluation of a batch of clients, run by the Celery task the usage
and debit receivers enqueue after the commit, and by the billing jobs' sweep (`alerts_due`),
so an alert is only late, never lost, when Redis is down.

- **Spend alert**: the client's rebilled usage (the amounts charged to its wallet, from the
  daily roll-ups; absorbed usage is the agency's cost, not the client's spend, and does not
  count) in the current window: the UTC day, the week from Monday 00:00 UTC, or the agency's
  billing period. It fires once per window, when the total first reaches the amount; its key
  `spend:<client>:<window>:<amount>:<window start>` makes the next window fire again and an
  edit of other alerts leave it alone.
- **Low-balance level**: fires when the balance is below the level and was at or above it
  (`LowBalanceState.below` false); then the level stays quiet until the balance is at or
  above it again (a top-up, a credit: seen in the ledger's entries since the last
  evaluation, however briefly), which re-arms it. Levels crossed together
  (one debit from 60 to 3 crosses 50, 20 and 5) fire one alert, for the lowest, so one
  debit mails once. Its key `low:<client>:<level>:<crossing>` counts the crossings. A level
  evaluated for the first time (new settings, a new client) fires only if the balance was at
  or above it within RECENT_CROSSING: a new client at 0 has crossed nothing.

Both keys are the `FiredAlert` row's unique `dedupe_key`: an evaluation run twice, or a task
and the sweep at once, record one alert, one notification, one email per recipient, one
`alert_fired`. The balance is read when the evaluation runs, a moment after the debit: a dip
that a top-up repaired before then does not alert.
"""

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from moneyed import Money

from agencies.periods import period_bounds
from subaccounts.models import SubAccount
from wallets.alerts.locks import low_balance_states_lock
from wallets.alerts.models import FiredAlert, LowBalanceState, SpendAlert
from wallets.alerts.selectors import effective_alerts, sweep_candidates
from wallets.alerts.services import plain
from wallets.alerts.signals import alert_fired
from wallets.ledger.models import Entry, Wallet
from wallets.payments.models import Notification
from wallets.payments.notifications import notification_send
from wallets.usage.models import UsageCharge, UsageDaily

SWEEP_BATCH = 500
# How far back a level seen for the first time looks for the balance above it (the debit that
# crossed it), at most RECENT_ENTRIES entries: longer than the sweep's minute, with room.
RECENT_CROSSING = timedelta(minutes=15)
RECENT_ENTRIES = 1000

WINDOW_WORDS = {"day": "today", "week": "this week", "period": "this billing period"}


def window_start(window: str, *, anchor_day: int, now: datetime) -> date:
    today = now.astimezone(UTC).date()
    if window == SpendAlert.Window.DAY:
        return today
    if window == SpendAlert.Window.WEEK:
        return today - timedelta(days=today.weekday())
    return period_bounds(anchor_day=anchor_day, moment=now)[0].date()


def alerts_evaluate(*, sub_account_ids, now: datetime) -> dict:
    """Fire what is due for these clients; counts of alerts fired."""
    subs = list(SubAccount.objects.select_related("agency", "wallet")
                .filter(pk__in=list(sub_account_ids)))
    if not subs:
        return {}
    effective = effective_alerts(subs)
    counts: Counter = Counter()
    states: dict = defaultdict(dict)
    for state in LowBalanceState.objects.filter(sub_account__in=subs):
        states[state.sub_account_id][state.level] = state
    for sub in subs:
        if _low_balance_changes(sub.wallet, effective[sub.pk].levels, states[sub.pk]):
            counts["low_balance_alerts"] += _low_balance_apply(sub, effective[sub.pk].levels,
                                                               now)
    counts["spend_alerts"] += _spend_check([s for s in subs if effective[s.pk].spend],
                                           effective, now)
    return dict(counts)


def alerts_due(now: datetime) -> dict:
    """The billing jobs' sweep: every client that could have an alert due (`sweep_candidates`),
    in batches."""
    ids = sorted(sweep_candidates(), key=str)
    counts: Counter = Counter({"low_balance_alerts": 0, "spend_alerts": 0})
    for start in range(0, len(ids), SWEEP_BATCH):
        counts.update(alerts_evaluate(sub_account_ids=ids[start:start + SWEEP_BATCH], now=now))
    return dict(counts)


def _low_balance_changes(wallet: Wallet, levels: list[Decimal], states: dict) -> bool:
    """Whether anything is to do: a level newly below, or a level below with entries since
    its last evaluation (which may have taken the balance back above it)."""
    balance = wallet.balance.amount
    return any(balance < level and not (level in states and states[level].below)
               for level in levels) or any(
        state.below and (balance >= level or state.checked_seq < wallet.last_seq)
        for level, state in states.items())


def _recent_peak(wallet: Wallet, now: datetime) -> Decimal | None:
    """The highest balance the wallet had before any of its entries of the last
    RECENT_CROSSING, or None when it had none."""
    rows = (Entry.objects.filter(wallet=wallet, created_at__gte=now - RECENT_CROSSING)
            .order_by("-seq").values_list("balance_after", "amount")[:RECENT_ENTRIES])
    return max((after - amount for after, amount in rows), default=None)


def _low_balance_apply(sub: SubAccount, levels: list[Decimal], now: datetime) -> int:
    with transaction.atomic():
        wallet = Wallet.objects.get(pk=sub.wallet.pk)
        known = set(LowBalanceState.objects.filter(sub_account=sub)
                    .values_list("level", flat=True))
        missing = [level for level in levels if level not in known]
        if missing:
            # A level seen for the first time is below only if the balance was below it all
            # along: a new client at 0 never crossed 5; one debited from 60 a moment ago did.
            peak = _recent_peak(wallet, now)
            balance = wallet.balance.amount
            LowBalanceState.objects.bulk_create(
                [LowBalanceState(sub_account=sub, level=level, checked_seq=wallet.last_seq,
                                 below=balance < level and (peak is None or peak < level))
                 for level in missing], ignore_conflicts=True)
        states = {state.level: state for state in low_balance_states_lock(sub.pk)}
        # Read under the states' lock: the latest committed balance and entries.
        wallet = Wallet.objects.get(pk=sub.wallet.pk)
        balance = wallet.balance.amount
        since = min((s.checked_seq for s in states.values() if s.below),
                    default=wallet.last_seq)
        later = list(Entry.objects.filter(wallet=wallet, seq__gt=since).order_by("-seq")
                     .values_list("seq", "balance_after")[:RECENT_ENTRIES])
        for state in states.values():
            if state.below and (balance >= state.level or any(
                    seq > state.checked_seq and after >= state.level for seq, after in later)):
                state.below = False
                state.save(update_fields=["below"])
        LowBalanceState.objects.filter(sub_account=sub).update(checked_seq=wallet.last_seq)
        crossed = sorted(level for level in levels
                         if balance < level and not states[level].below)
        for level in crossed:
            state = states[level]
            state.below, state.crossings = True, state.crossings + 1
            state.save(update_fields=["below", "crossings"])
        if not crossed:
            return 0
        level, crossing = crossed[0], states[crossed[0]].crossings
        currency = wallet.currency
        message = (f"{sub.name}'s balance is {plain(balance)} {currency}, below "
                   f"{plain(level)}.")
        if not wallet.auto_topup_enabled:
            message += " Auto top-up is off: add funds to keep services running."
        return _fire(
            sub=sub, kind=FiredAlert.Kind.LOW_BALANCE,
            key=f"low:{sub.pk}:{plain(level)}:{crossing}",
            threshold=level, value=balance, currency=currency, message=message,
            data={"sub_account": str(sub.pk), "level": plain(level),
                  "balance": plain(balance), "currency": currency, "crossing": crossing})


def _spend_check(subs: list[SubAccount], effective: dict, now: datetime) -> int:
    if not subs:
        return 0
    due = []
    for sub in subs:
        for alert in effective[sub.pk].spend:
            due.append((sub, alert, window_start(alert.window,
                                                 anchor_day=sub.agency.billing_anchor_day,
                                                 now=now)))
    days: dict = defaultdict(list)
    for sub_id, day, amount in (
            UsageDaily.objects.filter(sub_account__in=subs,
                                      billed_to=UsageCharge.BilledTo.WALLET,
                                      day__gte=min(start for _, _, start in due))
            .values_list("sub_account_id", "day").annotate(total=Sum("amount"))):
        days[sub_id].append((day, amount))
    reached = []
    for sub, alert, start in due:
        total = sum((amount for day, amount in days[sub.pk] if day >= start), Decimal(0))
        if total >= alert.amount.amount:
            key = (f"spend:{sub.pk}:{alert.window}:{plain(alert.amount.amount)}:"
                   f"{start:%Y-%m-%d}")
            reached.append((key, sub, alert, start, total))
    fired_before = set(FiredAlert.objects.filter(dedupe_key__in=[r[0] for r in reached])
                       .values_list("dedupe_key", flat=True))
    fired = 0
    for key, sub, alert, start, total in reached:
        if key in fired_before:
            continue
        fired_before.add(key)  # two alerts alike (same amount and window) fire once
        amount, currency = alert.amount.amount, alert.amount.currency.code
        fired += _fire(
            sub=sub, kind=FiredAlert.Kind.SPEND, key=key, threshold=amount, value=total,
            currency=currency, window=alert.window, window_start=start,
            message=(f"{sub.name} has spent {plain(total)} {currency} "
                     f"{WINDOW_WORDS[alert.window]} (since {start:%Y-%m-%d}), reaching its "
                     f"spend alert of {plain(amount)} {currency}."),
            data={"sub_account": str(sub.pk), "amount": plain(amount), "window": alert.window,
                  "window_start": start.isoformat(), "total": plain(total),
                  "currency": currency})
    return fired


def _fire(*, sub, kind: str, key: str, threshold: Decimal, value: Decimal, currency: str,
          message: str, data: dict, window: str = "", window_start: date | None = None) -> int:
    """Record the alert once by its key; with it, the in-app notification, the emails (the
    agency's users; for a low balance also the client's billing admins) and `alert_fired`.
    1 when this call recorded it, 0 when it had fired already."""
    with transaction.atomic():
        alert, created = FiredAlert.objects.get_or_create(dedupe_key=key, defaults={
            "agency_id": sub.agency_id, "sub_account": sub, "kind": kind,
            "threshold": Money(threshold, currency), "value": Money(value, currency),
            "window": window, "window_start": window_start})
        if not created:
            return 0
        low = kind == FiredAlert.Kind.LOW_BALANCE
        notification_send(
            agency=sub.agency, sub_account=sub,
            kind=Notification.Kind.LOW_BALANCE if low else Notification.Kind.SPEND_ALERT,
            message=message, dedupe_key=f"alert:{key}", email_agency=True, email_client=low)
        alert_fired.send(sender=FiredAlert,
                         type="wallet.low_balance" if low else "usage.spend_alert",
                         agency_id=sub.agency_id, sub_account_id=sub.pk, fired_alert=alert,
                         data=data)
    return 1
