"""Notification emails leave the request: a mail server that is down never fails the change
that caused the mail (the usage request that took a wallet below its threshold is answered and
charged); the mail is delivered once the server is back; each recipient gets a message of
their own; a real Celery worker delivers them."""

import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from hoopbilling.mail import outgoing_emails_due
from hoopbilling.models import OutgoingEmail
from tests.factories import (
    AgencyMembershipFactory,
    AgencyPriceFactory,
    ClientMembershipFactory,
    UserFactory,
    wallet_with_card,
)
from tests.wallets.payments.test_topups_celery import worker  # noqa: F401  (the fixture)
from wallets.alerts.firing import alerts_due
from wallets.payments.autotopup import wallet_settings_set
from wallets.payments.models import Notification
from wallets.payments.notifications import notification_send
from wallets.payments.topups import topup_attempt, topup_request
from wallets.usage.models import UsageCharge


def staffed_wallet(agency=None, **kwargs):
    """A client wallet whose agency has an admin and a staff member, and whose client has
    two billing admins and a user who cannot manage billing."""
    wallet = wallet_with_card(agency=agency, **kwargs)
    sub_account = wallet.sub_account
    for role in ("admin", "staff"):
        AgencyMembershipFactory(agency=sub_account.agency, role=role,
                                user=UserFactory(username=f"{role}-{sub_account.pk}@agency.test"))
    for name in ("payer", "cfo"):
        ClientMembershipFactory(sub_account=sub_account,
                                user=UserFactory(username=f"{name}-{sub_account.pk}@client.test"))
    ClientMembershipFactory(sub_account=sub_account, can_manage_billing=False,
                            user=UserFactory(username=f"viewer-{sub_account.pk}@client.test"))
    return wallet


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", ["mail server down", "broker down"])
def test_usage_is_answered_and_charged_while_its_mail_cannot_go(
        api, mail_server, eager_celery, request, fault):
    # given a wallet just above its low-balance threshold, auto top-up off, and the mail
    # server down (or the broker, so the email's task cannot even be queued)
    wallet = staffed_wallet(agency=api.agency, balance="10.01")
    wallet_settings_set(wallet=wallet, threshold=Decimal("10"))
    AgencyPriceFactory(agency=api.agency)
    if fault == "broker down":
        request.getfixturevalue("broker_down")
    else:
        mail_server.down = True
    # when usage takes it below the threshold, its default low-balance level (the alert is
    # evaluated after the commit; with the broker down, by the billing jobs' sweep)
    response = api.post("/api/v1/usage", {
        "sub_account": str(wallet.sub_account_id), "item": "sms_outbound", "quantity": "1",
        "idempotency_key": "below-threshold"}, format="json")
    # then the request is answered and charged; the mail waits
    assert response.status_code == 201, response.content
    assert UsageCharge.objects.filter(sub_account=wallet.sub_account).count() == 1
    wallet.refresh_from_db()
    assert wallet.balance.amount == Decimal("9.995")
    if fault == "broker down":
        assert not Notification.objects.exists()
        assert alerts_due(timezone.now())["low_balance_alerts"] == 1
    assert Notification.objects.filter(kind="low_balance",
                                       sub_account=wallet.sub_account).count() == 1
    tries = 1 if fault == "mail server down" else 0
    waiting = list(OutgoingEmail.objects.order_by("to"))
    pk = wallet.sub_account_id
    # the agency's users and the client's billing admins, each alone
    assert [(e.to, e.status, e.attempts) for e in waiting] == [
        (f"admin-{pk}@agency.test", "pending", tries),
        (f"cfo-{pk}@client.test", "pending", tries),
        (f"payer-{pk}@client.test", "pending", tries),
        (f"staff-{pk}@agency.test", "pending", tries)]
    assert not mail.outbox
    # and once the server is back, the retry delivers it, once
    mail_server.down = False
    assert outgoing_emails_due(timezone.now() + timedelta(minutes=5))["emails_sent"] == 4
    assert outgoing_emails_due(timezone.now() + timedelta(hours=5))["emails_sent"] == 0
    assert sorted(m.to for m in mail.outbox) == [[e.to] for e in waiting]
    assert all("below" in m.body for m in mail.outbox)


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_celery")
def test_suspension_mails_each_recipient_alone(mail_server, django_capture_on_commit_callbacks):
    # given a client whose card is declined and whose agency has no retries left to try
    wallet = staffed_wallet(payment_method="pm_card_chargeCustomerFail", balance="5")
    agency = wallet.sub_account.agency
    agency.retry_schedule_hours = []
    agency.save()
    # when its top-up is declined (the client is suspended)
    with django_capture_on_commit_callbacks(execute=True):
        topup = topup_request(wallet_id=wallet.pk, trigger="manual", amount=Decimal("20.00"),
                              enqueue=False)
        topup_attempt(topup_id=topup.pk)
    wallet.sub_account.refresh_from_db()
    assert wallet.sub_account.suspended
    # then the agency's staff and the client's billing admins each get a message of their own
    suspended = [m for m in mail.outbox if "Suspended" in m.subject]
    pk = wallet.sub_account_id
    assert sorted(m.to for m in suspended) == [
        [f"admin-{pk}@agency.test"], [f"cfo-{pk}@client.test"], [f"payer-{pk}@client.test"],
        [f"staff-{pk}@agency.test"]]
    assert all(not m.cc and not m.bcc for m in suspended)
    # and the payment failure went to the agency alone
    failed = sorted(m.to for m in mail.outbox if "Payment failed" in m.subject)
    assert failed == [[f"admin-{pk}@agency.test"], [f"staff-{pk}@agency.test"]]


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_celery")
def test_a_rolled_back_change_mails_nobody(mail_server, django_capture_on_commit_callbacks):
    wallet = staffed_wallet()
    with (django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError),
          transaction.atomic()):
        notification_send(agency=wallet.sub_account.agency, sub_account=wallet.sub_account,
                          kind=Notification.Kind.SUSPENDED, message="suspended",
                          dedupe_key="suspend:rolled-back", email_client=True)
        raise RuntimeError("the suspension failed")
    assert not Notification.objects.exists() and not OutgoingEmail.objects.exists()
    assert outgoing_emails_due(timezone.now() + timedelta(hours=1))["emails_sent"] == 0
    assert not mail.outbox


@pytest.fixture
def mail_dir(monkeypatch, tmp_path):
    """Where the worker's file backend writes each message (one file per message)."""
    monkeypatch.setenv("EMAIL_URL", f"filemail:///{tmp_path}")
    return tmp_path


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_one_message_per_recipient(mail_dir, request):
    worker_process = request.getfixturevalue("worker")  # started with EMAIL_URL set
    wallet = staffed_wallet()
    with transaction.atomic():
        notification_send(agency=wallet.sub_account.agency, sub_account=wallet.sub_account,
                          kind=Notification.Kind.SUSPENDED, message="Suspended for non-payment.",
                          dedupe_key="suspend:worker", email_client=True)
    deadline = time.monotonic() + 60
    while OutgoingEmail.objects.exclude(status="sent").exists():
        assert time.monotonic() < deadline, list(OutgoingEmail.objects.values())
        assert worker_process.poll() is None, worker_process.stdout.read().decode()
        time.sleep(0.3)
    messages = [path.read_text() for path in Path(mail_dir).iterdir()]
    to_lines = sorted(line for text in messages for line in text.splitlines()
                      if line.startswith("To: "))
    pk = wallet.sub_account_id
    assert to_lines == [f"To: admin-{pk}@agency.test", f"To: cfo-{pk}@client.test",
                        f"To: payer-{pk}@client.test", f"To: staff-{pk}@agency.test"]
