"""Top-up services with the sandbox gateway: auto top-up rule, retries, suspension, lift."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from hoopbilling.errors import IdempotencyConflict
from subaccounts.pricing.models import BillableItem
from subaccounts.suspension import item_blocked
from tests.factories import AgencyFactory, EntryFactory, ledger_post_one, wallet_with_card
from tests.wallets.payments.crashes import topup_attempt_killed
from wallets.billing.jobs import billing_jobs_run
from wallets.ledger.models import Entry
from wallets.ledger.posting import Posting
from wallets.payments.autotopup import auto_topup_amount
from wallets.payments.cards import payment_method_attach
from wallets.payments.models import Notification, SandboxCharge, TopUp
from wallets.payments.topups import (
    PAYMENT_SUSPENSION_NOTE,
    TopUpInFlight,
    topup_attempt,
    topup_request,
    topup_settle,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery", "ledger_checked")]

AUTO = {"threshold": Decimal("10"), "amount": Decimal("50"), "max_balance": Decimal("100")}


def spend(wallet, amount, key):
    """Usage as the usage service posts it: the ledger follows a debit below the threshold up
    after the commit (`django_capture_on_commit_callbacks(execute=True)` runs it)."""
    ledger_post_one(wallet_id=wallet.pk, posting=Posting(
        kind="usage", amount=-Decimal(amount), currency=wallet.currency, idempotency_key=key))
    wallet.refresh_from_db()
    return wallet


def failing_card_wallet():
    """A wallet of 20 with auto top-up on, a card every charge of which is declined, and one
    retry at the next run of the billing jobs; its agency gives room below zero (these tests
    are about the card's retries, not the credit limit)."""
    wallet = wallet_with_card(payment_method="pm_card_chargeCustomerFail", balance="20",
                              auto=AUTO, agency=AgencyFactory(open_credit=True))
    wallet.sub_account.agency.retry_schedule_hours = [0]
    wallet.sub_account.agency.save()
    return wallet


def topup_entries(wallet):
    return list(Entry.objects.filter(wallet=wallet, kind="topup"))


def test_debit_below_threshold_tops_up_amount_once(django_capture_on_commit_callbacks):
    wallet = wallet_with_card(balance="20", auto=AUTO)
    with django_capture_on_commit_callbacks(execute=True):
        spend(wallet, "15", "u1")
    wallet.refresh_from_db()
    assert wallet.balance.amount == Decimal("55")
    [entry] = topup_entries(wallet)
    topup = TopUp.objects.get(wallet=wallet)
    assert entry.idempotency_key == f"topup:{topup.pk}"
    assert entry.reference_type == "topup" and entry.reference_id == str(topup.pk)
    assert topup.status == "succeeded" and topup.attempts == 1


def test_topup_adds_outstanding_and_never_exceeds_max_balance():
    wallet = wallet_with_card(balance="0", auto={**AUTO, "max_balance": Decimal("40")})
    spend(wallet, "12.345", "u1")
    # amount 50 + outstanding 12.345 = 62.345, but the cap of 40 allows 52.345 → 52.34
    assert auto_topup_amount(wallet) == Decimal("52.34")
    wallet.auto_topup_max_balance = None
    assert auto_topup_amount(wallet) == Decimal("62.35")


def test_only_one_topup_in_flight_per_wallet():
    wallet = wallet_with_card(payment_method="pm_card_chargeCustomerFail", balance="5",
                              auto=AUTO)
    first = topup_request(wallet_id=wallet.pk, trigger="auto", enqueue=False)
    assert first is not None
    assert topup_request(wallet_id=wallet.pk, trigger="auto", enqueue=False) is None
    with pytest.raises(TopUpInFlight):
        topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("5"))
    assert TopUp.objects.filter(wallet=wallet).count() == 1


def test_manual_topup_asked_twice_with_one_request_key_is_made_and_charged_once(
        django_capture_on_commit_callbacks):
    wallet = wallet_with_card(balance="5")
    with django_capture_on_commit_callbacks(execute=True):
        first = topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("20"),
                              request_key="add-funds:one")
    first.refresh_from_db()
    assert first.status == "succeeded"
    # asked again after it settled: no "in flight" refusal, no second charge, same top-up
    with django_capture_on_commit_callbacks(execute=True):
        again = topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("20.00"),
                              request_key="add-funds:one")
    assert again.pk == first.pk
    assert TopUp.objects.filter(wallet=wallet).count() == 1
    assert SandboxCharge.objects.count() == 1 and len(topup_entries(wallet)) == 1
    wallet.refresh_from_db()
    assert wallet.balance.amount == Decimal("25")
    # the key is the request's, not the wallet's: another request is another top-up
    with django_capture_on_commit_callbacks(execute=True):
        other = topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("20"),
                              request_key="add-funds:two")
    assert other.pk != first.pk and SandboxCharge.objects.count() == 2


def test_a_request_key_reused_for_another_amount_is_refused():
    wallet = wallet_with_card(balance="5")
    first = topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("20"),
                          request_key="add-funds:one", enqueue=False)
    with pytest.raises(IdempotencyConflict) as exc:
        topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("30"),
                      request_key="add-funds:one", enqueue=False)
    assert exc.value.field == "amount"
    assert list(TopUp.objects.filter(wallet=wallet)) == [first]


def test_manual_topup_needs_whole_cents_a_card_and_respects_the_cap():
    wallet = wallet_with_card(payment_method=None, auto=AUTO)
    from hoopbilling.errors import DomainError

    with pytest.raises(DomainError) as exc:
        topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("5.001"))
    assert exc.value.field == "amount"
    with pytest.raises(DomainError) as exc:
        topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("101"))
    assert exc.value.field == "amount"
    with pytest.raises(DomainError) as exc:
        topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("5"))
    assert exc.value.code == "no_payment_method"
    assert not TopUp.objects.exists()


def test_runaway_guard_pauses_auto_topup_and_alerts_the_agency(
        django_capture_on_commit_callbacks):
    wallet = wallet_with_card(balance="20", auto=AUTO)
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            spend(wallet, "50", f"big-{n}")
    assert TopUp.objects.filter(wallet=wallet, status="succeeded").count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        spend(wallet, "50", "big-3")
    wallet.refresh_from_db()
    assert wallet.auto_topup_enabled is False
    assert TopUp.objects.filter(wallet=wallet).count() == 3
    assert Notification.objects.filter(kind="runaway", sub_account=wallet.sub_account).exists()


def test_low_balance_email_to_client_admin_when_auto_topup_is_off(
        django_capture_on_commit_callbacks):
    from tests.factories import ClientMembershipFactory

    wallet = wallet_with_card(balance="20")
    from wallets.payments.autotopup import wallet_settings_set

    wallet_settings_set(wallet=wallet, threshold=Decimal("10"))
    admin = ClientMembershipFactory(sub_account=wallet.sub_account)
    ClientMembershipFactory(sub_account=wallet.sub_account, can_manage_billing=False)
    with django_capture_on_commit_callbacks(execute=True):
        spend(wallet, "15", "u1")
        spend(wallet, "1", "u2")
    # only the admin who can pay is told (the other cannot open the billing page)
    assert [m.to for m in mail.outbox] == [[admin.user.email]]
    assert "balance" in mail.outbox[0].body
    assert not TopUp.objects.exists()


def test_dunning_decline_retries_on_schedule_suspends_new_card_lifts(
        capsys, django_capture_on_commit_callbacks):
    # given a client whose card is declined on every charge, schedule [1, 6, 24] hours, and
    # room below zero (the credit limit would stop it first: test_credit_limit.py)
    wallet = wallet_with_card(payment_method="pm_card_chargeCustomerFail", balance="20",
                              auto=AUTO, agency=AgencyFactory(open_credit=True))
    sub_account = wallet.sub_account
    sms = BillableItem.objects.get(code="sms_outbound")
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        spend(wallet, "30", "u1")  # balance -10
    topup = TopUp.objects.get(wallet=wallet)
    assert topup.status == "retrying" and topup.attempts == 1
    assert topup.amount.amount == Decimal("60.00")  # 50 + 10 outstanding

    def run(at):
        call_command("run_billing_jobs", "--now", at.isoformat())
        import json

        return json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    # when the jobs run before the first retry is due, nothing is charged
    assert run(start + timedelta(minutes=30))["topups_attempted"] == 0
    # then each retry runs on schedule: +1h, +6h, +24h
    assert run(start + timedelta(hours=1, minutes=1))["topups_failed"] == 1
    assert run(start + timedelta(hours=7, minutes=2))["topups_failed"] == 1
    sub_account.refresh_from_db()
    assert not sub_account.suspended
    counts = run(start + timedelta(hours=31, minutes=3))
    assert counts["suspensions"] == 1
    topup.refresh_from_db()
    sub_account.refresh_from_db()
    assert topup.status == "failed" and topup.attempts == 4
    assert sub_account.suspended and sub_account.suspension_reason == "payment_failed"
    assert item_blocked(sub_account=sub_account, item=sms)
    assert Notification.objects.filter(sub_account=sub_account,
                                       kind="payment_failed").count() == 4
    assert Notification.objects.filter(sub_account=sub_account, kind="suspended").count() == 1
    # no new charge of the same failing card later
    assert run(start + timedelta(hours=40))["topups_attempted"] == 0

    # when the client adds a card that works, the payment is retried at once
    with django_capture_on_commit_callbacks(execute=True):
        payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    topup.refresh_from_db()
    sub_account.refresh_from_db()
    wallet.refresh_from_db()
    assert topup.status == "succeeded"
    assert wallet.balance.amount == Decimal("50.00")
    assert not sub_account.suspended
    assert not item_blocked(sub_account=sub_account, item=sms)
    assert Notification.objects.filter(sub_account=sub_account, kind="lifted").count() == 1
    assert len(topup_entries(wallet)) == 1


def test_zero_in_the_schedule_means_the_next_run(capsys):
    wallet = wallet_with_card(payment_method="pm_card_chargeCustomerFail", balance="5",
                              auto=AUTO)
    agency = wallet.sub_account.agency
    agency.retry_schedule_hours = [0]
    agency.save()
    topup = topup_request(wallet_id=wallet.pk, trigger="auto", enqueue=False)
    now = timezone.now()
    topup_attempt(topup_id=topup.pk, now=now)
    topup.refresh_from_db()
    assert topup.status == "retrying" and topup.next_attempt_at == now
    assert billing_jobs_run(now)["suspensions"] == 1


def test_crash_after_gateway_charged_is_settled_once_by_the_next_run():
    # given a worker killed after the gateway charged the card, before the ledger entry
    wallet = wallet_with_card(balance="5", auto=AUTO)
    topup = topup_request(wallet_id=wallet.pk, trigger="auto", enqueue=False)
    now = timezone.now()

    topup_attempt_killed(topup, now=now)
    topup.refresh_from_db()
    assert topup.status == "processing" and not topup_entries(wallet)
    assert SandboxCharge.objects.get().status == "succeeded"
    # when the next run comes after the attempt's lease
    assert billing_jobs_run(now + timedelta(minutes=1))["topups_attempted"] == 0
    counts = billing_jobs_run(now + timedelta(minutes=6))
    # then the same charge is found by its key and posted once
    assert counts["topups_succeeded"] == 1
    charge = SandboxCharge.objects.get()
    assert charge.idempotency_key == f"topup:{topup.pk}"
    assert len(charge.confirmations) == 1
    topup.refresh_from_db()
    assert topup.status == "succeeded" and topup.attempts == 1
    assert len(topup_entries(wallet)) == 1
    # and settling again (a late webhook) changes nothing
    topup_settle(topup_id=topup.pk)
    wallet.refresh_from_db()
    assert wallet.balance.amount == Decimal("55")


def test_authentication_required_then_completed_settles(django_capture_on_commit_callbacks):
    from tests.factories import ClientMembershipFactory
    from wallets.payments.topups import topup_authenticated

    wallet = wallet_with_card(payment_method="pm_card_authenticationRequired", balance="5",
                              auto=AUTO)
    admin = ClientMembershipFactory(sub_account=wallet.sub_account)
    with django_capture_on_commit_callbacks(execute=True):
        topup = topup_request(wallet_id=wallet.pk, trigger="auto", enqueue=False)
        topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "requires_action"
    [client_mail] = [m for m in mail.outbox if admin.user.email in m.to]
    link = f"/client/{wallet.sub_account_id}/payments/topups/{topup.pk}/authenticate/"
    assert link in client_mail.body
    topup = topup_authenticated(topup_id=topup.pk)
    assert topup.status == "succeeded"
    assert len(topup_entries(wallet)) == 1


def test_adjustment_that_settles_outstanding_lifts_suspension_on_next_run():
    wallet = wallet_with_card(balance="-5", agency=AgencyFactory(open_credit=True))
    from subaccounts.services import subaccount_suspend

    subaccount_suspend(sub_account=wallet.sub_account, reason="payment_failed",
                       note=PAYMENT_SUSPENSION_NOTE)
    EntryFactory(wallet=wallet, amount=Decimal("5"))
    assert billing_jobs_run(timezone.now())["suspensions_lifted"] == 1
    wallet.sub_account.refresh_from_db()
    assert not wallet.sub_account.suspended


def test_suspension_while_the_balance_is_positive_stays_until_money_comes_in():
    # given a client whose top-up failed for good before it ran out of money
    wallet = wallet_with_card(balance="3")
    from subaccounts.services import subaccount_suspend

    subaccount_suspend(sub_account=wallet.sub_account, reason="payment_failed",
                       note=PAYMENT_SUSPENSION_NOTE)
    # when the billing jobs run, nothing was paid: the suspension stays
    assert billing_jobs_run(timezone.now())["suspensions_lifted"] == 0
    wallet.sub_account.refresh_from_db()
    assert wallet.sub_account.suspended
    # and money coming in lifts it
    EntryFactory(wallet=wallet, amount=Decimal("10"))
    assert billing_jobs_run(timezone.now())["suspensions_lifted"] == 1


def test_after_a_lift_without_the_card_the_card_is_tried_again_and_suspends_again(
        django_capture_on_commit_callbacks):
    # given a client suspended after its card failed every retry
    wallet = failing_card_wallet()
    sub_account = wallet.sub_account
    with django_capture_on_commit_callbacks(execute=True):
        spend(wallet, "30", "u1")
    assert billing_jobs_run(timezone.now())["suspensions"] == 1
    # when money from elsewhere settles what it owed, and it goes on spending
    EntryFactory(wallet=wallet, amount=Decimal("20"))
    assert billing_jobs_run(timezone.now())["suspensions_lifted"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        spend(wallet, "500", "u2")
    # then the card is charged again, and when it fails for good the client is suspended again
    assert TopUp.objects.filter(wallet=wallet).count() == 2
    assert billing_jobs_run(timezone.now())["suspensions"] == 1
    sub_account.refresh_from_db()
    assert sub_account.suspension_reason == "payment_failed"
    # and while it is suspended the failing card is not charged again
    with django_capture_on_commit_callbacks(execute=True):
        spend(wallet, "1", "u3")
    assert billing_jobs_run(timezone.now())["topups_attempted"] == 0
    assert TopUp.objects.filter(wallet=wallet).count() == 2


def test_at_most_one_auto_topup_check_waits_in_the_queue_per_wallet(
        monkeypatch, django_capture_on_commit_callbacks):
    from wallets.payments import tasks
    from wallets.payments.autotopup import debit_followup

    wallet = wallet_with_card(balance="5", auto=AUTO)
    queued = []
    monkeypatch.setattr(tasks.auto_topup_check_task, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):  # debits while the first check waits: no more checks
            debit_followup(wallet_id=wallet.pk, balance=Decimal("5"))
    assert queued == [wallet.pk]
    tasks.auto_topup_check_task.run(wallet.pk)  # the worker takes it: the gate opens
    with django_capture_on_commit_callbacks(execute=True):
        debit_followup(wallet_id=wallet.pk, balance=Decimal("4"))
    assert queued == [wallet.pk, wallet.pk]


def test_a_retry_that_would_go_above_the_maximum_is_called_off(
        django_capture_on_commit_callbacks):
    # given an automatic top-up of 90 (cap 100) declined while the balance was 5
    wallet = wallet_with_card(payment_method="pm_card_chargeCustomerFail", balance="5",
                              auto={"threshold": Decimal("10"), "amount": Decimal("90"),
                                    "max_balance": Decimal("100")})
    topup = topup_request(wallet_id=wallet.pk, trigger="auto", enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "retrying" and topup.amount.amount == Decimal("90")
    # when 50 comes in another way and the client adds a card that works
    EntryFactory(wallet=wallet, amount=Decimal("50"))
    with django_capture_on_commit_callbacks(execute=True):
        payment_method_attach(sub_account=wallet.sub_account, payment_method="pm_card_visa")
    # then the retry is called off rather than take the balance to 145
    topup.refresh_from_db()
    wallet.refresh_from_db()
    assert topup.status == "canceled" and topup.last_error["code"] == "above_max_balance"
    assert SandboxCharge.objects.get(idempotency_key=topup.idempotency_key).status == "canceled"
    assert wallet.balance.amount == Decimal("55")
    assert TopUp.objects.filter(wallet=wallet).count() == 1  # 55 is above the threshold


def test_a_called_off_automatic_top_up_is_asked_for_again_at_the_right_amount(
        django_capture_on_commit_callbacks):
    wallet = wallet_with_card(payment_method="pm_card_chargeCustomerFail", balance="5",
                              auto={"threshold": Decimal("60"), "amount": Decimal("90"),
                                    "max_balance": Decimal("100")})
    first = topup_attempt(topup_id=topup_request(wallet_id=wallet.pk, trigger="auto",
                                                 enqueue=False).pk)
    EntryFactory(wallet=wallet, amount=Decimal("20"))
    with django_capture_on_commit_callbacks(execute=True):
        payment_method_attach(sub_account=wallet.sub_account, payment_method="pm_card_visa")
    first.refresh_from_db()
    wallet.refresh_from_db()
    assert first.status == "canceled"
    second = TopUp.objects.exclude(pk=first.pk).get(wallet=wallet)
    assert second.status == "succeeded" and second.amount.amount == Decimal("75.00")
    assert wallet.balance.amount == Decimal("100")


@pytest.mark.parametrize("moment", ["2026-02-30T00:00:00Z", "0001-01-01T00:00:00Z",
                                    "9999-12-31T23:59:59Z", "", "tomorrow"])
def test_run_billing_jobs_refuses_a_moment_it_cannot_run_at(moment):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--now"):
        call_command("run_billing_jobs", "--now", moment)


def test_run_billing_jobs_reports_each_job_on_stderr_and_counts_on_stdout(capsys):
    call_command("run_billing_jobs")
    out, err = capsys.readouterr()
    assert out.strip().startswith("{") and len(out.strip().splitlines()) == 1
    assert "auto_topups_request: nothing due" in err and "periods_close_due:" in err


def test_a_top_up_another_run_began_charging_is_not_called_off(monkeypatch):
    from wallets.payments.gateways import SandboxGateway
    from wallets.payments.models import TopUpAttempt
    from wallets.payments.topups import topup_fail

    wallet = wallet_with_card(payment_method="pm_card_chargeCustomerFail", balance="5",
                              auto={"threshold": Decimal("10"), "amount": Decimal("90"),
                                    "max_balance": Decimal("100")})
    topup = topup_attempt(topup_id=topup_request(wallet_id=wallet.pk, trigger="auto",
                                                 enqueue=False).pk)
    EntryFactory(wallet=wallet, amount=Decimal("50"))  # now 90 more would pass the cap
    charge_cancel = SandboxGateway.charge_cancel

    def another_run_begins_attempt_2(gateway, *, charge_id):
        # while this run calls the top-up off, another has begun attempt 2 (a new card, say)
        TopUpAttempt.objects.create(topup=topup, number=2, started_at=timezone.now(),
                                    payment_method="pm_card_visa")
        return charge_cancel(gateway, charge_id=charge_id)

    monkeypatch.setattr(SandboxGateway, "charge_cancel", another_run_begins_attempt_2)
    assert topup_attempt(topup_id=topup.pk, now=topup.next_attempt_at).status == "retrying"
    assert topup.attempt_rows.count() == 2
    # and a declined answer for a top-up already called off changes nothing
    TopUp.objects.filter(pk=topup.pk).update(status="canceled", next_attempt_at=None)
    assert topup_fail(topup_id=topup.pk, attempt_number=2, code="card_declined",
                      message="declined").status == "canceled"


def test_a_client_suspended_by_an_operator_is_not_charged_again_on_a_card_that_failed(
        django_capture_on_commit_callbacks):
    from subaccounts.services import subaccount_suspend

    wallet = failing_card_wallet()
    sub_account = wallet.sub_account
    subaccount_suspend(sub_account=sub_account, reason="agency", note="fraud review")
    with django_capture_on_commit_callbacks(execute=True):
        spend(wallet, "30", "u1")  # email and the like still debit a suspended client
    billing_jobs_run(timezone.now())  # the retry fails too: retries exhausted
    assert list(TopUp.objects.filter(wallet=wallet).values_list("status", flat=True)) == [
        "failed"]
    with django_capture_on_commit_callbacks(execute=True):
        spend(wallet, "1", "u2")
    billing_jobs_run(timezone.now())
    assert TopUp.objects.filter(wallet=wallet).count() == 1
