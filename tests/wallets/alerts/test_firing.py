"""Alerts fire once per crossing and per window: spend alerts (rebilled usage in a day, a
week or the billing period) and low-balance levels, the agency's default or the client's
own; to the agency by email and in the app, a low balance also to the client's billing
admins; each through its unique key, so a replay or a race alerts once."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from hoopbilling.models import OutgoingEmail
from tests.factories import (
    AgencyMembershipFactory,
    ClientMembershipFactory,
    UserFactory,
    ledger_post_one,
    wallet_with_card,
)
from wallets.alerts.firing import alerts_due, alerts_evaluate
from wallets.alerts.models import FiredAlert
from wallets.alerts.services import alert_settings_put
from wallets.alerts.signals import alert_fired
from wallets.billing.jobs import billing_jobs_run
from wallets.ledger.posting import Posting
from wallets.payments.autotopup import wallet_settings_set
from wallets.payments.models import Notification
from wallets.usage.rollups import rollups_add
from wallets.usage.signals import UsageFacts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_server")]


def staffed_client(balance="100"):
    """A client wallet (no auto top-up) whose agency has an admin, and whose client has a
    billing admin and a user who cannot manage billing."""
    wallet = wallet_with_card(balance=balance)
    sub = wallet.sub_account
    AgencyMembershipFactory(agency=sub.agency,
                            user=UserFactory(username=f"admin-{sub.pk}@agency.test"))
    ClientMembershipFactory(sub_account=sub,
                            user=UserFactory(username=f"payer-{sub.pk}@client.test"))
    ClientMembershipFactory(sub_account=sub, can_manage_billing=False,
                            user=UserFactory(username=f"viewer-{sub.pk}@client.test"))
    return wallet


def move(wallet, amount, key):
    """Money in (a credit) or out (usage) of the wallet."""
    ledger_post_one(wallet_id=wallet.pk, posting=Posting(
        kind="usage" if Decimal(amount) < 0 else "adjustment", amount=Decimal(amount),
        currency=wallet.currency, idempotency_key=key))


def evaluate(wallet, now=None):
    return alerts_evaluate(sub_account_ids=[wallet.sub_account_id], now=now or timezone.now())


def spent(wallet, amount, day, billed_to="wallet"):
    """Rebilled (or absorbed) usage of `amount` on `day`, as the usage path rolls it up."""
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    rollups_add(charges=[UsageFacts(
        agency_id=wallet.sub_account.agency_id, sub_account_id=wallet.sub_account_id,
        item_id="sms_outbound", billed_to=billed_to, quantity=Decimal(1),
        amount=Decimal(amount), base_cost_amount=Decimal(0), reached_ledger_at=at)])


def low_alerts(wallet):
    return list(FiredAlert.objects.filter(sub_account=wallet.sub_account, kind="low_balance")
                .order_by("created_at", "id").values_list("dedupe_key", flat=True))


def test_a_level_fires_once_per_crossing_and_again_after_recovering():
    wallet = staffed_client(balance="100")
    alert_settings_put(agency=wallet.sub_account.agency, spend=[], low_balance=["50", "20"])
    pk = wallet.sub_account_id
    # cross 50: one alert
    move(wallet, "-60", "u1")
    assert evaluate(wallet) == {"low_balance_alerts": 1, "spend_alerts": 0}
    # stay below, evaluated again, debited again (still above 20): nothing more
    move(wallet, "-5", "u2")
    assert evaluate(wallet).get("low_balance_alerts", 0) == 0
    assert evaluate(wallet).get("low_balance_alerts", 0) == 0
    assert low_alerts(wallet) == [f"low:{pk}:50:1"]
    # a top-up above 50 re-arms it, the next crossing fires again
    move(wallet, "40", "t1")  # 75
    evaluate(wallet)
    move(wallet, "-30", "u3")  # 45
    evaluate(wallet)
    assert low_alerts(wallet) == [f"low:{pk}:50:1", f"low:{pk}:50:2"]
    # coming back to exactly the level re-arms too (at the level is not below it)
    move(wallet, "5", "t2")  # 50
    evaluate(wallet)
    move(wallet, "-45", "u4")  # 5: crosses 50 and 20 at once, one alert for the lowest
    evaluate(wallet)
    assert low_alerts(wallet)[2:] == [f"low:{pk}:20:1"]


def test_a_low_balance_mails_the_agency_and_the_client_billing_admins(
        django_capture_on_commit_callbacks, eager_celery):
    wallet = staffed_client(balance="30")
    alert_settings_put(agency=wallet.sub_account.agency, spend=[], low_balance=["20"])
    heard = []
    alert_fired.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="test-heard")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            move(wallet, "-15", "u1")
            evaluate(wallet)
    finally:
        alert_fired.disconnect(dispatch_uid="test-heard")
    pk = wallet.sub_account_id
    assert sorted(e.to for e in OutgoingEmail.objects.all()) == [
        f"admin-{pk}@agency.test", f"payer-{pk}@client.test"]
    assert sorted(m.to for m in mail.outbox) == [[f"admin-{pk}@agency.test"],
                                                 [f"payer-{pk}@client.test"]]
    assert all("below 20" in m.body for m in mail.outbox)
    notification = Notification.objects.get(sub_account=wallet.sub_account)
    assert notification.kind == "low_balance" and notification.read_at is None
    assert [(h["type"], h["data"]) for h in heard] == [("wallet.low_balance", {
        "sub_account": str(pk), "level": "20", "balance": "15", "currency": "USD",
        "crossing": 1})]


def test_a_new_client_already_below_a_level_has_crossed_nothing():
    # a fresh client at 0 under an agency's levels: no alert until it was above one
    wallet = staffed_client(balance=None)
    alert_settings_put(agency=wallet.sub_account.agency, spend=[], low_balance=["5"])
    assert alerts_due(timezone.now()) == {"low_balance_alerts": 0, "spend_alerts": 0}
    move(wallet, "10", "t1")
    move(wallet, "-6", "u1")
    assert alerts_due(timezone.now())["low_balance_alerts"] == 1


def test_a_spend_alert_fires_once_per_day_and_again_the_next_day():
    wallet = staffed_client()
    alert_settings_put(agency=wallet.sub_account.agency,
                       spend=[{"amount": "10", "window": "day"}], low_balance=[])
    monday = datetime(2026, 11, 30, 15, tzinfo=UTC)
    spent(wallet, "6", monday.date())
    assert evaluate(wallet, monday)["spend_alerts"] == 0
    spent(wallet, "4", monday.date())  # reaches 10
    assert evaluate(wallet, monday)["spend_alerts"] == 1
    spent(wallet, "50", monday.date())  # stays above: not again
    assert evaluate(wallet, monday)["spend_alerts"] == 0
    tuesday = monday + timedelta(days=1)
    assert evaluate(wallet, tuesday)["spend_alerts"] == 0  # a new day starts at 0
    spent(wallet, "10", tuesday.date())
    assert evaluate(wallet, tuesday)["spend_alerts"] == 1
    mine = FiredAlert.objects.filter(sub_account=wallet.sub_account, kind="spend")
    assert sorted(a.window_start.isoformat() for a in mine) == ["2026-11-30", "2026-12-01"]
    assert [n.kind for n in Notification.objects.filter(agency=wallet.sub_account.agency)] == [
        "spend_alert", "spend_alert"]
    # to the agency only
    pk = wallet.sub_account_id
    assert set(OutgoingEmail.objects.values_list("to", flat=True)) == {f"admin-{pk}@agency.test"}


def test_week_and_billing_period_windows():
    wallet = staffed_client()
    agency = wallet.sub_account.agency
    agency.billing_anchor_day = 15
    agency.save()
    alert_settings_put(agency=agency, spend=[{"amount": "100", "window": "week"},
                                             {"amount": "300", "window": "period"}],
                       low_balance=[])
    # Wednesday 2026-12-02: the week began Monday 11-30, the period on 11-15
    wednesday = datetime(2026, 12, 2, 9, tzinfo=UTC)
    spent(wallet, "90", datetime(2026, 11, 29).date())  # Sunday: last week, this period
    spent(wallet, "150", datetime(2026, 11, 20).date())
    spent(wallet, "99", datetime(2026, 11, 30).date())
    assert evaluate(wallet, wednesday)["spend_alerts"] == 1  # period: 339 ≥ 300
    spent(wallet, "1", datetime(2026, 12, 1).date())  # week: 100
    assert evaluate(wallet, wednesday)["spend_alerts"] == 1
    assert evaluate(wallet, wednesday)["spend_alerts"] == 0
    # the next week and the next period start again
    next_period = datetime(2026, 12, 16, 9, tzinfo=UTC)
    spent(wallet, "300", next_period.date())
    assert evaluate(wallet, next_period)["spend_alerts"] == 2
    keys = sorted(FiredAlert.objects.values_list("dedupe_key", flat=True))
    pk = wallet.sub_account_id
    assert keys == sorted([f"spend:{pk}:period:300:2026-11-15", f"spend:{pk}:week:100:2026-11-30",
                           f"spend:{pk}:period:300:2026-12-15", f"spend:{pk}:week:100:2026-12-14"])


def test_absorbed_usage_is_not_the_clients_spend():
    wallet = staffed_client()
    alert_settings_put(agency=wallet.sub_account.agency,
                       spend=[{"amount": "10", "window": "day"}], low_balance=[])
    now = timezone.now()
    spent(wallet, "500", now.date(), billed_to="agency")
    assert evaluate(wallet, now)["spend_alerts"] == 0


def test_a_clients_own_settings_replace_the_agency_default():
    wallet = staffed_client(balance="100")
    other = wallet_with_card(agency=wallet.sub_account.agency, balance="100")
    agency = wallet.sub_account.agency
    alert_settings_put(agency=agency, spend=[], low_balance=["50"])
    alert_settings_put(agency=agency, sub_account=other.sub_account, spend=[],
                       low_balance=["10"])
    move(wallet, "-60", "u1")  # 40: below the default's 50
    move(other, "-60", "u2")  # 40: its own level is 10
    assert alerts_due(timezone.now())["low_balance_alerts"] == 1
    assert FiredAlert.objects.get().sub_account == wallet.sub_account
    move(other, "-35", "u3")  # 5
    assert alerts_due(timezone.now())["low_balance_alerts"] == 1
    assert FiredAlert.objects.filter(sub_account=other.sub_account).get().threshold.amount == 10


def test_replayed_evaluation_alerts_once():
    wallet = staffed_client(balance="100")
    alert_settings_put(agency=wallet.sub_account.agency,
                       spend=[{"amount": "1", "window": "day"}], low_balance=["50"])
    move(wallet, "-60", "u1")
    spent(wallet, "60", timezone.now().date())
    first = evaluate(wallet)
    assert first == {"low_balance_alerts": 1, "spend_alerts": 1}
    assert evaluate(wallet) == {"spend_alerts": 0}
    assert billing_jobs_run(timezone.now())["spend_alerts"] == 0
    assert Notification.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_evaluations_alert_once():
    # given a client that crossed a level and a spend alert
    wallet = staffed_client(balance="100")
    alert_settings_put(agency=wallet.sub_account.agency,
                       spend=[{"amount": "1", "window": "day"}], low_balance=["50", "20"])
    move(wallet, "-90", "u1")
    spent(wallet, "90", timezone.now().date())
    barrier = threading.Barrier(8)
    errors = []

    def run():
        try:
            barrier.wait()
            evaluate(wallet)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    # when eight workers evaluate it at once
    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then one alert of each, one notification of each, one email per recipient of each
    assert not errors, errors
    assert sorted(FiredAlert.objects.values_list("kind", flat=True)) == ["low_balance", "spend"]
    assert Notification.objects.count() == 2
    assert OutgoingEmail.objects.count() == 3  # low: agency + payer; spend: agency


def test_the_threshold_is_the_default_level_until_the_agency_sets_levels(
        django_capture_on_commit_callbacks, eager_celery):
    # given a client with auto top-up off and a threshold of 10 (the warning clients had
    # before alerts): below it, one alert
    wallet = staffed_client(balance="30")
    wallet_settings_set(wallet=wallet, threshold=Decimal("10"))
    with django_capture_on_commit_callbacks(execute=True):
        move(wallet, "-22", "u1")  # 8
    assert [a.threshold.amount for a in FiredAlert.objects.all()] == [Decimal(10)]
    # when the agency sets levels of its own, they replace the threshold: one alert per
    # crossing of a level, none for the threshold, so never two emails for one debit
    alert_settings_put(agency=wallet.sub_account.agency, spend=[], low_balance=["5"])
    with django_capture_on_commit_callbacks(execute=True):
        move(wallet, "22", "t1")  # 30
        move(wallet, "-21", "u2")  # 9: below the old threshold, above 5
    assert FiredAlert.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        move(wallet, "-5", "u3")  # 4
    assert [a.threshold.amount for a in FiredAlert.objects.order_by("id")] == [
        Decimal(10), Decimal(5)]
    assert Notification.objects.filter(kind="low_balance").count() == 2
    # each crossing mailed each recipient once: the agency's admin and the client's payer
    assert OutgoingEmail.objects.count() == 4
    assert len({e.to for e in OutgoingEmail.objects.all()}) == 2
