import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from rest_framework.test import APIClient

from tests.factories import (
    ApiKeyFactory,
    BillableItemFactory,
    EntryFactory,
    SubAccountFactory,
    UsageChargeFactory,
)
from wallets.billing.invoicing import period_close, period_get_or_create
from wallets.billing.models import Invoice
from wallets.ledger.models import Wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoiced():
    key = ApiKeyFactory()
    client = SubAccountFactory(agency=key.agency, itemised_usage_visible=False)
    EntryFactory(wallet=Wallet.objects.get(sub_account=client), kind="topup",
                 amount=Decimal("20"))
    sms = BillableItemFactory(code="sms_outbound")
    for _ in range(3):
        UsageChargeFactory(sub_account=client, item=sms, quantity=Decimal("2"),
                           unit_price=Decimal("0.0237"))
    period = period_get_or_create(agency=key.agency, moment=client.created_at)
    period_close(period=period, now=period.end)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
    return api, client, Invoice.objects.get(sub_account=client)


def test_invoice_answers_the_contract_fields_with_string_amounts(invoiced):
    api, client, invoice = invoiced
    response = api.get(f"/api/v1/invoices/{invoice.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(invoice.pk) and body["number"] == 1
    assert body["currency"] == "USD"
    assert body["period_start"] == invoice.period_start.isoformat()
    assert body["period_end"] == invoice.period_end.isoformat()
    assert (body["opening_balance"], body["topups_total"], body["usage_total"],
            body["closing_balance"]) == ("0.00", "20.00", "0.14", "19.86")
    # a client without itemised visibility: lines are per item, never per usage event
    assert body["lines"] == [{"item": "sms_outbound", "quantity": "6",
                              "unit_price": "0.0237", "amount": "0.142200"}]


def test_subaccount_invoices_lists_the_clients_invoices(invoiced):
    api, client, invoice = invoiced
    response = api.get(f"/api/v1/subaccounts/{client.pk}/invoices")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(invoice.pk)]


def test_invoice_pdf_is_a_pdf_with_the_total(invoiced):
    api, client, invoice = invoiced
    response = api.get(f"/api/v1/invoices/{invoice.pk}.pdf", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Invoice 000001" in text and "0.14 USD" in text and "19.86 USD" in text


@pytest.mark.parametrize("path", ["/api/v1/invoices/{invoice}", "/api/v1/invoices/{invoice}.pdf",
                                  "/api/v1/subaccounts/{client}/invoices"])
def test_another_agencys_invoices_are_404(invoiced, path):
    _, client, invoice = invoiced
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiKeyFactory().raw_key}")
    response = other.get(path.format(invoice=invoice.pk, client=client.pk))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_invoices_need_an_api_key(invoiced):
    _, _, invoice = invoiced
    assert APIClient().get(f"/api/v1/invoices/{invoice.pk}").status_code == 401
