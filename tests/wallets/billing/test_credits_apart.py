"""Credits (the agency's money) and refunds stand apart from paid top-ups: on the invoice
(and its API, CSV and PDF), the statement, the dashboard, the platform bill and the client's
billing pages."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import (
    AgencyMembershipFactory,
    BillableItemFactory,
    ClientMembershipFactory,
    EntryFactory,
    SubAccountFactory,
    UsageChargeFactory,
)
from wallets.billing.documents import invoice_csv, invoice_data, invoice_pdf
from wallets.billing.invoicing import period_close, period_get_or_create
from wallets.billing.models import AgencyStatement, Invoice
from wallets.billing.platform_bill import agency_platform_bill
from wallets.ledger.corrections import wallet_credit_grant
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_with_credit():
    """A client that paid 50 by card, got 12.50 from its agency, had 5 refunded and used
    2.00 (base cost 0.80)."""
    sub_account = SubAccountFactory()
    wallet = sub_account.wallet
    EntryFactory(wallet=wallet, kind=Entry.Kind.TOPUP, amount=Decimal("50.00"))
    wallet_credit_grant(sub_account=sub_account, amount=Decimal("12.50"), reason="outage")
    EntryFactory(wallet=wallet, kind=Entry.Kind.REFUND, amount=Decimal("-5.00"))
    UsageChargeFactory(sub_account=sub_account, item=BillableItemFactory(code="sms_outbound"),
                       quantity=Decimal("2"), unit_price=Decimal("1.00"),
                       base_cost_unit=Decimal("0.40"))
    yield sub_account
    assert [c for c in ledger_verify() if not c.ok] == []


def test_the_invoice_shows_credits_and_refunds_apart_from_paid_top_ups(client_with_credit):
    period = period_get_or_create(agency=client_with_credit.agency, moment=timezone.now())
    period_close(period=period, now=period.end)
    invoice = Invoice.objects.get(sub_account=client_with_credit)
    assert (invoice.topups_total, invoice.credits_total, invoice.refunds_total,
            invoice.usage_total, invoice.other_total) == (
        Decimal("50.00"), Decimal("12.50"), Decimal("5.00"), Decimal("2.00"), Decimal("0.00"))
    assert invoice.closing_balance == Decimal("55.50")
    lines = list(invoice.lines.all())
    data = invoice_data(invoice, lines)
    assert (data["topups_total"], data["credits_total"], data["refunds_total"]) == (
        "50.00", "12.50", "5.00")
    csv = invoice_csv(invoice, lines)
    assert "credits_total,12.50" in csv and "refunds_total,5.00" in csv
    assert invoice_pdf(invoice, lines).startswith(b"%PDF")
    # the statement keeps the credits given: the agency's money, off its margin
    statement = AgencyStatement.objects.get(period=period)
    assert statement.credits == Decimal("12.50")
    assert statement.margin == Decimal("1.20")
    assert statement.margin_after_credits == Decimal("-11.30")


def test_invoice_api_and_pages_show_the_credit(client_with_credit, client):
    period = period_get_or_create(agency=client_with_credit.agency, moment=timezone.now())
    period_close(period=period, now=period.end)
    invoice = Invoice.objects.get(sub_account=client_with_credit)
    client.force_login(AgencyMembershipFactory(agency=client_with_credit.agency).user)
    page = client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "Credits from your agency" in page and 'id="credits-total">12.50' in page
    listing = client.get("/billing/invoices/?format=csv").content.decode()
    assert "credits_total" in listing.splitlines()[0] and ",12.50,5.00," in listing


def test_dashboard_statement_and_platform_bill_count_credits_as_the_agencys_money(
        client_with_credit, client):
    agency = client_with_credit.agency
    client.force_login(AgencyMembershipFactory(agency=agency).user)
    dashboard = client.get("/billing/").content.decode()
    assert 'id="credits-given">12.50' in dashboard
    assert 'id="paid-topups">50.00' in dashboard
    statement = client.get("/billing/statement/").content.decode()
    assert 'id="current-credits">12.50' in statement
    bill = agency_platform_bill(agency=agency, moment=timezone.now())
    assert bill.credits == Decimal("12.50") and bill.rebilled == Decimal("0.80")


def test_the_clients_billing_pages_list_the_credit_with_its_reason_apart(client_with_credit,
                                                                         client):
    client.force_login(ClientMembershipFactory(sub_account=client_with_credit).user)
    for path in (f"/client/{client_with_credit.pk}/billing/",
                 f"/client/{client_with_credit.pk}/payments/"):
        page = client.get(path).content.decode()
        assert "Credit from your agency" in page and "outage" in page, path
        assert "Refunded to your card" in page, path
