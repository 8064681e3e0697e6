"""The demo agency: 90 days of Northwind Marketing, recorded through the real services.

`demo_seed` replays the agency's history on a simulated clock. `DemoClock` moves Django's
clock (`django.utils.timezone.now`, which every service, ledger entry, `auto_now_add` field,
top-up retry and period close reads) back 90 days and then forward, slot by slot, to now.
So every row carries the moment it would have had if the platform had been running: usage is
charged by `wallets.usage` (tiers, period counters, ledger entries, daily roll-ups), cards
are charged by the sandbox gateway through `wallets.topups`, a declining card is retried on
the agency's schedule by `wallets.jobs.billing_jobs_run` until the client is suspended, and
periods close into invoices as their months end. Meanwhile Celery tasks run inline (the
auto top-up after a debit happens at the simulated moment, not when a worker next runs) and
mail is dropped.

Nothing is written behind the services' backs: `verify_ledger` passes afterwards.

Idempotent: a finished seed leaves an audit row (`demo.seeded`); running it again only
prints the logins.
"""

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from agencies.models import Agency
from agencies.services import agency_create, agency_update
from hoopbilling.audit import audit_record
from hoopbilling.celery import app as celery_app
from hoopbilling.errors import DomainError
from hoopbilling.models import AuditLog
from subaccounts.models import ClientMembership, SubAccount
from subaccounts.pricing.models import BillableItem
from subaccounts.pricing.services import price_set
from subaccounts.services import subaccount_create, subaccount_update
from wallets.alerts.services import alert_settings_put
from wallets.billing.jobs import billing_jobs_run
from wallets.billing.models import Invoice
from wallets.demo.traffic import traffic_events
from wallets.ledger.corrections import wallet_credit_grant
from wallets.payments.autotopup import wallet_settings_set
from wallets.payments.cards import payment_method_attach
from wallets.payments.corrections import topup_refund
from wallets.payments.models import TopUp
from wallets.payments.topups import topup_request
from wallets.usage.services import BATCH_MAX, usage_record_batch

DEMO_AGENCY = "Northwind Marketing"
OPERATOR = ("operator@example.com", "operator-demo-pass")
AGENCY_ADMIN = ("admin@northwind.example.com", "agency-demo-pass")
CLIENT_ADMIN = ("owner@bluebird.example.com", "client-demo-pass")
LOGINS = [("operator (admin at /admin/)", OPERATOR), ("agency admin", AGENCY_ADMIN),
          ("client admin (Bluebird Dental)", CLIENT_ADMIN)]
SEEDED_ACTION = "demo.seeded"
ACTOR = "seed_demo"
DAYS = 90
# A day's traffic is recorded in two windows (UTC hours), each at its end.
SLOTS = [(7, 14, 0.6), (14, 22, 0.4)]
WEEKDAY = [1.0, 1.05, 1.0, 1.1, 1.15, 0.55, 0.35]
DECLINING_CARD = "pm_card_chargeCustomerFail"

# The agency's grid: a markup on every item, graduated tiers on email.
AGENCY_PRICES = {
    "sms_outbound": "0.0158",
    "mms_outbound": "0.0400",
    "call_inbound": "0.0170",
    "call_outbound": "0.0280",
    "email_send": [{"up_to": "10000", "price": "1.35"}, {"up_to": None, "price": "0.95"}],
    "email_verification": "0.0050",
    "workflow_premium": "0.0200",
    "content_ai": "0.00018",
    "review_request": "0.0200",
}
# Day 45: calls cost the agency more, so it raises its outbound call price.
PRICE_CHANGES = {45: {"call_outbound": "0.0300"}}


@dataclass(frozen=True)
class ClientPlan:
    name: str
    external_id: str
    daily: dict[str, float]  # kind of traffic (demo_traffic.KINDS) → events per day
    # (weekday, item, quantity) sent every week: newsletters, SMS campaigns
    weekly: tuple[tuple[int, str, int], ...] = ()
    card: str | None = "pm_card_visa"
    auto_topup: tuple[str, str, str | None] | None = ("25.00", "100.00", None)
    rebilled: bool = True
    itemised_visible: bool = True
    overrides: dict = field(default_factory=dict)
    card_declines_from_day: int | None = None
    manual_topups: tuple[int, str] | None = None  # every N days from day 0, this amount
    card_declines_at_end: bool = False
    starts_on_day: int = 0  # its first usage (it is set up on day 0)
    credit_limit: str | None = None  # its own, else the agency's
    # Its own alert settings: (spend alerts [(amount, window)], low-balance levels).
    alerts: tuple[tuple[tuple[str, str], ...], tuple[str, ...]] | None = None
    note: str = ""


CLIENTS = [
    ClientPlan("Bluebird Dental", "loc_bluebird",
               {"sms": 22, "mms": 1, "call_in": 6, "call_out": 4, "email": 30, "verify": 4,
                "workflow": 18, "ai": 1, "review": 3},
               weekly=((1, "email_send", 1800), (3, "sms_outbound", 640)),
               auto_topup=("25.00", "100.00", "500.00"),
               # Its SMS campaign day spends about $10: an alert to the agency most weeks.
               alerts=((("10.00", "day"),), ()),
               note="rebilled, auto top-up, the client admin's account; a credit, a spend alert"),
    ClientPlan("Cedar Roofing", "loc_cedar",
               {"sms": 9, "call_in": 5, "call_out": 8, "email": 10, "review": 2, "ai": 1},
               weekly=((2, "sms_outbound", 300),),
               card="pm_card_mastercard", auto_topup=("20.00", "75.00", None),
               overrides={"sms_outbound": "0.0250", "call_outbound": "0.0350"},
               note="own prices for SMS and outbound calls; part of a top-up refunded"),
    ClientPlan("Harbor Yoga", "loc_harbor",
               {"sms": 8, "email": 8, "workflow": 10, "review": 1},
               weekly=((3, "email_send", 1200), (0, "sms_outbound", 260)),
               card=None, auto_topup=None, rebilled=False,
               note="absorbed: the agency pays its usage"),
    ClientPlan("Maple Street Bakery", "loc_maple",
               {"sms": 14, "mms": 2, "email": 12, "ai": 1, "review": 2},
               weekly=((4, "email_send", 2500), (4, "sms_outbound", 450)),
               auto_topup=("30.00", "120.00", None),
               overrides={"sms_outbound": [{"up_to": "1000", "price": "0.0190"},
                                           {"up_to": None, "price": "0.0140"}]},
               note="graduated SMS price: cheaper after 1,000 segments a month"),
    ClientPlan("Summit Auto Repair", "loc_summit",
               {"sms": 10, "call_in": 7, "call_out": 4, "email": 6, "review": 1},
               weekly=((1, "sms_outbound", 220),),
               # Tops up $30 (about three weeks) when it runs out, so the card declined from
               # day 55 meets its next top-up by day 75 or so: retried, then suspended owing.
               auto_topup=("0.00", "30.00", None), card_declines_from_day=55,
               note="card declined from day 55: retried, then suspended"),
    ClientPlan("Oakridge Realty", "loc_oakridge",
               {"sms": 8, "call_out": 6, "email": 14, "verify": 6, "ai": 3},
               weekly=((0, "email_send", 3200),), auto_topup=("40.00", "150.00", None),
               itemised_visible=False, note="itemised usage hidden from the client"),
    ClientPlan("Lakeside Fitness", "loc_lakeside",
               {"sms": 12, "mms": 1, "email": 18, "workflow": 12, "review": 2},
               weekly=((0, "sms_outbound", 380), (2, "email_send", 900)),
               card="pm_card_mastercard", auto_topup=("25.00", "100.00", None),
               card_declines_at_end=True, note="card declined today: in dunning"),
    ClientPlan("Greenleaf Landscaping", "loc_greenleaf",
               {"sms": 5, "call_in": 3, "email": 5, "review": 1},
               auto_topup=None, manual_topups=(30, "15.00"),
               note="no auto top-up: adds funds by hand every month"),
    ClientPlan("Pinecrest Plumbing", "loc_pinecrest",
               {"sms": 14, "call_out": 5, "email": 4},
               card=None, auto_topup=None, starts_on_day=DAYS - 4, credit_limit="0.00",
               note="new, no card and no funds: stopped at its credit limit of 0"),
]
# The agency's alerts for every client without its own: two low-balance levels.
AGENCY_ALERTS = {"spend": [], "low_balance": ["20", "5"]}
# Day 60: the agency's goodwill credit after an SMS delivery outage.
CREDIT = (60, "loc_bluebird", "10.00", "Goodwill credit: SMS delivery outage on the 12th")
# Day 70: part of a client's latest card top-up sent back to its card.
REFUND = (70, "loc_cedar", "10.00", "Campaign cancelled: part of the last top-up refunded")


class DemoIncomplete(Exception):
    """The demo agency exists but an earlier seed did not finish."""


class DemoClock:
    """Django's clock, moved to `start` and ticking from there while entered. Only moves
    forward, so every wallet's entries keep their time order."""

    def __init__(self, start: datetime):
        self._moment, self._real = start, time.monotonic()
        self._patch = mock.patch("django.utils.timezone.now", self.now)

    def now(self) -> datetime:
        return self._moment + timedelta(seconds=time.monotonic() - self._real)

    def move_to(self, moment: datetime) -> None:
        if moment > self.now():
            self._moment, self._real = moment, time.monotonic()

    def __enter__(self):
        self._patch.start()
        return self

    def __exit__(self, *exc_info):
        self._patch.stop()


@contextmanager
def _tasks_inline():
    """Celery tasks (auto top-up checks and attempts) run where they are sent, at the
    simulated moment, and their errors surface."""
    conf = celery_app.conf
    before = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager = conf.task_eager_propagates = True
    trace_log = logging.getLogger("celery.app.trace")  # one line per task otherwise
    level = trace_log.level
    trace_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = before
        trace_log.setLevel(level)


def demo_seeded() -> bool:
    return AuditLog.objects.filter(action=SEEDED_ACTION).exists()


def _anchor_day(now: datetime) -> int:
    """The billing anchor that puts about three weeks of history in the current period, so
    the dashboard's chart has a shape whatever day of the month the demo starts."""
    return min((now - timedelta(days=21)).day, 28)


def _user(email: str, password: str, **extra):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=email, defaults={"email": email,
                                                                          **extra})
    if created:
        user.set_password(password)
        user.save()
    return user


@dataclass
class SeedReport:
    seconds: float = 0.0
    counts: Counter = field(default_factory=Counter)
    already: bool = False


def demo_seed(*, progress: Callable[[str], None] = print) -> SeedReport:
    """Load the demo (see the module docstring). Returns what it did and how long it took."""
    started = time.monotonic()
    report = SeedReport()
    _user(*OPERATOR, is_staff=True, is_superuser=True)
    if demo_seeded():
        report.already = True
        return report
    if Agency.objects.filter(name=DEMO_AGENCY).exists():
        raise DemoIncomplete(
            f"{DEMO_AGENCY} exists but an earlier seed_demo did not finish. Start from an "
            "empty database (remove var/db.sqlite3, or drop and create the PostgreSQL "
            "database) and run it again.")
    real_now = timezone.now()
    # The history ends an hour ago: nothing is stamped in the future, and the first retry
    # of the card declined at the end falls due soon after the worker starts.
    end = real_now - timedelta(hours=1)
    first_day = (real_now - timedelta(days=DAYS)).replace(hour=0, minute=0, second=0,
                                                          microsecond=0)
    progress(f"Loading the demo data: {DAYS} days of {DEMO_AGENCY} (under half a minute)…")
    rng = random.Random(20260101)
    with ExitStack() as stack:
        # No mail, and no query log (DEBUG keeps every query in memory).
        stack.enter_context(override_settings(
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend", DEBUG=False))
        stack.enter_context(_tasks_inline())
        clock = stack.enter_context(DemoClock(first_day + timedelta(hours=6)))
        agency, clients = _setup(real_now)
        progress(f"  {DEMO_AGENCY}: {len(clients)} clients, prices set "
                 f"({time.monotonic() - started:.1f} s)")
        for day in range(DAYS + 1):
            day_start = first_day + timedelta(days=day)
            if day_start + timedelta(hours=6) > end:
                break
            clock.move_to(day_start + timedelta(hours=6))
            _scripted(day, agency, clients, report.counts)
            scale = (0.75 + 0.5 * day / DAYS) * WEEKDAY[day_start.weekday()] * rng.uniform(
                0.85, 1.15)
            for slot, (from_hour, to_hour, share) in enumerate(SLOTS):
                window_start = day_start + timedelta(hours=from_hour)
                window_end = day_start + timedelta(hours=to_hour)
                # Recorded some minutes after the window closes, as a platform's batch
                # job would send it.
                record_at = window_end + timedelta(seconds=rng.randint(60, 3000))
                if record_at > end:
                    break
                events = []
                for plan, sub_account in clients:
                    if day < plan.starts_on_day:
                        continue
                    batch = traffic_events(rng, sub_account_id=str(sub_account.pk),
                                           daily=plan.daily, scale=scale * share,
                                           place=plan.name, start=window_start,
                                           end=window_end)
                    for weekday, item, quantity in plan.weekly:
                        if slot == 0 and weekday == day_start.weekday():
                            batch.append({"sub_account": str(sub_account.pk), "item": item,
                                          "quantity": str(round(quantity * scale)),
                                          "occurred_at": window_end.isoformat()})
                    events += batch
                for number, event in enumerate(events):
                    event["idempotency_key"] = f"demo:{day}:{slot}:{number}"
                clock.move_to(record_at)
                _usage_record_chunks(agency, events, report.counts)
                billing_jobs_run(clock.now())
            if day % 15 == 0:
                progress(f"  day {day:>2}/{DAYS}: {report.counts['events']:,} usage events "
                         f"({time.monotonic() - started:.1f} s)")
        clock.move_to(end)
        _declines_at_end(clients, report.counts)
    with transaction.atomic():
        audit_record(action=SEEDED_ACTION, obj=agency, actor_label=ACTOR, agency_id=agency.pk,
                     after={"events": report.counts["events"], "days": DAYS})
    report.counts["invoices"] = Invoice.objects.filter(agency=agency).count()
    report.counts["topups"] = TopUp.objects.filter(sub_account__agency=agency,
                                                   status=TopUp.Status.SUCCEEDED).count()
    report.seconds = time.monotonic() - started
    return report


def _setup(real_now: datetime) -> tuple[Agency, list[tuple[ClientPlan, SubAccount]]]:
    agency, _ = agency_create(name=DEMO_AGENCY, admin_email=AGENCY_ADMIN[0],
                              admin_password=AGENCY_ADMIN[1], currency="USD")
    # What the operator sets in the admin for this agency, before its first period.
    Agency.objects.filter(pk=agency.pk).update(billing_anchor_day=_anchor_day(real_now))
    agency.refresh_from_db()
    # Room below zero (a new agency's credit limit is 0), so each client's story runs as it
    # always did: the declining card ends suspended for its payments, not at the limit.
    agency_update(agency=agency, changes={"retry_schedule_hours": [1, 6, 24],
                                          "credit_limit": "500"}, actor_label=ACTOR)
    alert_settings_put(agency=agency, **AGENCY_ALERTS, actor_label=ACTOR)
    items = {item.code: item for item in BillableItem.objects.all()}
    for code, price in AGENCY_PRICES.items():
        _price_set_flat_or_tiered(price_set, items[code], price, agency=agency)
    clients = []
    for plan in CLIENTS:
        sub_account = subaccount_create(agency=agency, name=plan.name,
                                        external_id=plan.external_id, actor_label=ACTOR)
        changes = {}
        if not plan.rebilled:
            changes["rebilling_enabled"] = False
        if not plan.itemised_visible:
            changes["itemised_usage_visible"] = False
        if plan.credit_limit is not None:
            changes["credit_limit"] = plan.credit_limit
        if changes:
            sub_account = subaccount_update(sub_account=sub_account, changes=changes,
                                            actor_label=ACTOR)
        for code, price in plan.overrides.items():
            _price_set_flat_or_tiered(price_set, items[code], price, sub_account=sub_account)
        if plan.alerts:
            spend, levels = plan.alerts
            alert_settings_put(agency=agency, sub_account=sub_account,
                               spend=[{"amount": amount, "window": window}
                                      for amount, window in spend],
                               low_balance=list(levels), actor_label=ACTOR)
        if plan.card:
            payment_method_attach(sub_account=sub_account, payment_method=plan.card,
                                  actor_label=ACTOR)
        if plan.auto_topup:
            threshold, amount, cap = plan.auto_topup
            # Turning it on below the threshold charges the first top-up at once.
            wallet_settings_set(wallet=sub_account.wallet, enabled=True, threshold=threshold,
                                amount=amount, max_balance=cap, actor_label=ACTOR)
        clients.append((plan, SubAccount.objects.select_related("agency", "wallet")
                        .get(pk=sub_account.pk)))
    owner = _user(*CLIENT_ADMIN)
    ClientMembership.objects.get_or_create(
        sub_account=clients[0][1], user=owner,
        defaults={"role": ClientMembership.Role.ADMIN, "can_manage_billing": True})
    return agency, clients


def _price_set_flat_or_tiered(service, item, price, **target):
    if isinstance(price, list):
        return service(item=item, tiers=price, actor_label=ACTOR, **target)
    return service(item=item, price=price, actor_label=ACTOR, **target)


def _scripted(day: int, agency: Agency, clients, counts: Counter) -> None:
    """What happens on a given morning besides traffic: price changes, card trouble, funds
    added by hand, the agency's credit and refund."""
    if day in PRICE_CHANGES:
        items = {item.code: item for item in BillableItem.objects.all()}
        for code, price in PRICE_CHANGES[day].items():
            _price_set_flat_or_tiered(price_set, items[code], price, agency=agency)
    for plan, sub_account in clients:
        if plan.card_declines_from_day == day:
            # The bank replaced the card; the client entered one that is declined.
            payment_method_attach(sub_account=sub_account, payment_method=DECLINING_CARD,
                                  actor_label=ACTOR)
        if plan.manual_topups and day % plan.manual_topups[0] == 0:
            topup_request(wallet_id=sub_account.wallet.pk, trigger=TopUp.Trigger.MANUAL,
                          amount=plan.manual_topups[1], actor_label=ACTOR)
            counts["manual_topups"] += 1
    by_id = {sub_account.external_id: sub_account for _, sub_account in clients}
    if day == CREDIT[0]:
        _, external_id, amount, reason = CREDIT
        wallet_credit_grant(sub_account=by_id[external_id], amount=amount, reason=reason,
                            actor_label=AGENCY_ADMIN[0])
        counts["credits"] += 1
    if day == REFUND[0]:
        _, external_id, amount, reason = REFUND
        latest = TopUp.objects.filter(sub_account=by_id[external_id],
                                      status=TopUp.Status.SUCCEEDED).latest("created_at")
        topup_refund(topup_id=latest.pk, amount=amount, reason=reason,
                     actor_label=AGENCY_ADMIN[0])
        counts["refunds"] += 1


def _declines_at_end(clients, counts: Counter) -> None:
    """An hour ago a client's new card was declined when it added funds: its top-up is
    being retried (dunning) when the demo opens; the worker carries on with the retries."""
    for plan, sub_account in clients:
        if plan.card_declines_at_end:
            payment_method_attach(sub_account=sub_account, payment_method=DECLINING_CARD,
                                  actor_label=ACTOR)
            topup_request(wallet_id=sub_account.wallet.pk, trigger=TopUp.Trigger.MANUAL,
                          amount="100.00", actor_label=ACTOR)
            counts["manual_topups"] += 1


def _usage_record_chunks(agency: Agency, events: list[dict], counts: Counter) -> None:
    for offset in range(0, len(events), BATCH_MAX):
        chunk = events[offset:offset + BATCH_MAX]
        for outcome in usage_record_batch(agency=agency, events=chunk):
            if isinstance(outcome, DomainError):
                if outcome.code != "sub_account_suspended":
                    raise outcome
                counts["refused_suspended"] += 1
            else:
                counts["events"] += 1
