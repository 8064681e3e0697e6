"""seed_demo: the demo agency through the real services, twice without a change, a clean
ledger, and a dashboard with money on it."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from agencies.models import Agency
from subaccounts.models import SubAccount
from wallets.alerts.models import FiredAlert
from wallets.billing.models import Invoice
from wallets.demo import seed as demo
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry
from wallets.payments.models import TopUp, TopUpRefund
from wallets.usage.models import UsageCharge, UsageDaily


def counts():
    return {model.__name__: model.objects.count()
            for model in (Entry, UsageCharge, UsageDaily, TopUp, Invoice, SubAccount)}


@pytest.mark.postgres  # flushing the ledger afterwards needs TRUNCATE (see test_journeys.py)
@pytest.mark.django_db(transaction=True)
def test_seed_demo_loads_90_days_once_with_a_clean_ledger_and_a_living_dashboard(client):
    # when
    first = io.StringIO()
    call_command("seed_demo", stdout=first)
    loaded = counts()
    second = io.StringIO()
    call_command("seed_demo", stdout=second)

    # then: the second run changes nothing and says so; both print the logins
    assert counts() == loaded
    assert "Demo data loaded" in first.getvalue()
    assert "Demo data already loaded." in second.getvalue()
    for _, (email, password) in demo.LOGINS:
        assert f"{email} / {password}" in second.getvalue()
    assert [check for check in ledger_verify() if not check.ok] == []
    call_command("verify_ledger", stdout=io.StringIO())  # exits 1 on a drift

    # 90 days of history, nothing in the future
    agency = Agency.objects.get(name=demo.DEMO_AGENCY)
    now = timezone.now()
    first_entry = Entry.objects.order_by("created_at").first().created_at
    assert now - first_entry > timedelta(days=89)
    assert not Entry.objects.filter(created_at__gt=now).exists()
    assert loaded["UsageCharge"] > 10_000
    assert loaded["SubAccount"] == 9

    # the clients' settings
    clients = {s.external_id: s for s in SubAccount.objects.select_related("wallet")}
    summit = clients["loc_summit"]
    assert summit.suspension_reason == "payment_failed"
    assert summit.wallet.balance.amount < 0
    declined = TopUp.objects.filter(sub_account=summit, status=TopUp.Status.FAILED).get()
    assert declined.attempts == 4  # the first attempt and the three retries of [1, 6, 24]
    assert TopUp.objects.filter(sub_account=clients["loc_lakeside"],
                                status=TopUp.Status.RETRYING).exists()
    harbor = clients["loc_harbor"]
    assert not harbor.rebilling_enabled and not harbor.wallet.entries.exists()
    assert UsageCharge.objects.filter(sub_account=harbor, billed_to="agency").exists()
    assert not clients["loc_oakridge"].itemised_usage_visible
    assert UsageCharge.objects.filter(sub_account=clients["loc_cedar"], item="sms_outbound",
                                      price_source="override").exists()
    assert UsageCharge.objects.filter(sub_account=clients["loc_maple"], item="sms_outbound",
                                      tier_breakdown__isnull=False).exists()
    assert TopUp.objects.filter(sub_account=clients["loc_bluebird"], trigger="auto",
                                status=TopUp.Status.SUCCEEDED).count() >= 3

    # credit control: a client stopped at its limit, the agency's credit, refund and alerts
    pinecrest = clients["loc_pinecrest"]
    assert pinecrest.suspension_reason == "credit_limit"
    assert pinecrest.wallet.balance.amount < 0 and pinecrest.effective_credit_limit == 0
    [credit] = Entry.objects.filter(kind="credit")
    assert credit.wallet.sub_account == clients["loc_bluebird"]
    [refund] = TopUpRefund.objects.all()
    assert (refund.topup.sub_account, refund.status) == (clients["loc_cedar"], "succeeded")
    assert FiredAlert.objects.filter(sub_account=clients["loc_bluebird"], kind="spend").exists()
    assert FiredAlert.objects.filter(kind="low_balance").exists()

    # invoices for the closed periods, numbered without gaps
    numbers = sorted(Invoice.objects.filter(agency=agency).values_list("number", flat=True))
    assert len(numbers) >= 16 and numbers == list(range(1, len(numbers) + 1))

    # the agency admin's dashboard shows this period's revenue
    admin = get_user_model().objects.get(username=demo.AGENCY_ADMIN[0])
    client.force_login(admin)
    response = client.get("/billing/")
    assert response.status_code == 200
    totals = response.context["figures"]["totals"]
    assert totals["revenue"] > totals["platform_cost"] > 0
    page = response.content.decode()
    assert "Summit Auto Repair" in page
    assert "Pinecrest Plumbing" in page.split('id="at-credit-limit"')[1].split("</ul>")[0]


@pytest.mark.django_db
def test_seed_demo_refuses_to_finish_a_seed_that_was_interrupted():
    # given: the demo agency without the seed's closing audit row
    Agency.objects.create(name=demo.DEMO_AGENCY, currency="USD")

    # when / then
    with pytest.raises(CommandError, match="did not finish"):
        call_command("seed_demo", stdout=io.StringIO())
