import base64
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import click_and_wait, login, screenshot
from tests.factories import (
    AgencyMembershipFactory,
    BillableItemFactory,
    EntryFactory,
    SubAccountFactory,
    UsageChargeFactory,
)
from wallets.billing.invoicing import period_close, period_get_or_create
from wallets.billing.models import Invoice
from wallets.ledger.models import Wallet

pytestmark = pytest.mark.django_db(transaction=True)

FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin"}).then(async (response) => {
  const bytes = new Uint8Array(await response.arrayBuffer());
  let binary = "";
  bytes.forEach((b) => { binary += String.fromCharCode(b); });
  done({status: response.status, type: response.headers.get("content-type"), body: btoa(binary)});
});
"""


def _download(browser, url):
    browser.set_script_timeout(20)
    result = browser.execute_async_script(FETCH, url)
    return result["status"], result["type"], base64.b64decode(result["body"])


def test_agency_sees_chart_filters_ledger_exports_csv_and_downloads_invoice_pdf(
        browser, live_server):
    # given an agency with a client that topped up and used SMS and email
    membership = AgencyMembershipFactory(user__username="admin@agency.test")
    client = SubAccountFactory(agency=membership.agency, name="Bakery")
    EntryFactory(wallet=Wallet.objects.get(sub_account=client), kind="topup",
                 amount=Decimal("25"))
    sms = BillableItemFactory(code="sms_outbound")
    email = BillableItemFactory(code="email_send")
    for _ in range(5):
        UsageChargeFactory(sub_account=client, item=sms, quantity=Decimal("3"),
                           unit_price=Decimal("0.0237"))
    UsageChargeFactory(sub_account=client, item=email, quantity=Decimal("1500"),
                       unit_price=Decimal("0.90"))
    login(browser, live_server, "admin@agency.test", "correct-horse-battery")

    # the dashboard draws its chart with Chart.js
    browser.get(f"{live_server.url}/billing/")
    canvas = browser.find_element(By.ID, "daily-chart")
    drawn = browser.execute_script(
        "const c = Chart.getChart(arguments[0]);"
        "return c ? {sets: c.data.datasets.length, points: c.data.labels.length,"
        " width: arguments[0].width} : null;", canvas)
    assert drawn and drawn["sets"] == 3 and drawn["points"] >= 1 and drawn["width"] > 0
    assert browser.find_element(By.ID, "revenue").text == "1.71"
    screenshot(browser, "billing-dashboard")

    # the ledger filters by item and exports the filtered view
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Bakery"))
    Select(browser.find_element(By.ID, "id_item")).select_by_value("email_send")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR,
                                                 "#ledger-filters button[type=submit]"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#ledger tbody tr")
    assert len(rows) == 1 and "Email" in rows[0].text
    screenshot(browser, "usage-ledger")
    href = browser.find_element(By.ID, "export-csv").get_attribute("href")
    assert "item=email_send" in href
    status, content_type, body = _download(browser, href)
    lines = body.decode().strip().splitlines()
    assert status == 200 and content_type.startswith("text/csv")
    assert len(lines) == 2 and ",email_send,1500," in lines[1]

    # an invoice PDF downloads, is a PDF and carries the right total
    period = period_get_or_create(agency=membership.agency, moment=timezone.now())
    period_close(period=period, now=period.end)
    invoice = Invoice.objects.get(sub_account=client)
    browser.get(f"{live_server.url}/billing/invoices/")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, invoice.display_number))
    assert browser.find_element(By.ID, "usage-total").text == "1.71"
    status, content_type, body = _download(
        browser, browser.find_element(By.ID, "invoice-pdf").get_attribute("href"))
    assert status == 200 and content_type == "application/pdf" and body.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert "Total usage" in text and "1.71 USD" in text and "23.29 USD" in text

    # the closed period is on the statement's chart
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Statement"))
    canvas = browser.find_element(By.CSS_SELECTOR, "canvas.money-chart")
    drawn = browser.execute_script(
        "const c = Chart.getChart(arguments[0]);"
        "return c ? {labels: c.data.labels, revenue: c.data.datasets[0].data} : null;", canvas)
    assert drawn == {"labels": [period.start.strftime("%Y-%m")], "revenue": [1.7055]}
