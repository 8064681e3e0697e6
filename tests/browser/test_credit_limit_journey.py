"""Issue 15's journey in a real browser: a client without funds is stopped at its credit limit
by its usage; the agency sees it on the dashboard, opens the client, grants a credit with a
reason (confirmed first), and the client is live again; its billing admin sees the credit apart
from paid top-ups, and so does the next invoice."""

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from tests.browser.conftest import click_and_wait, login, screenshot
from tests.browser.test_agency_actions_journey import _confirm, _submit
from tests.factories import AgencyMembershipFactory, ClientMembershipFactory, SubAccountFactory
from wallets.billing.invoicing import period_close, period_get_or_create
from wallets.billing.models import Invoice
from wallets.ledger.integrity import ledger_verify
from wallets.usage.events import SubAccountSuspended
from wallets.usage.services import usage_record

pytestmark = pytest.mark.django_db(transaction=True)


def sms(client, key):
    return {"sub_account": str(client.pk), "item": "sms_outbound", "idempotency_key": key,
            "quantity": "500"}


def test_a_client_stopped_at_its_limit_is_live_again_after_the_agencys_credit(browser,
                                                                              live_server):
    # given a new agency (credit limit 0) and a client with no card and no funds
    membership = AgencyMembershipFactory(user__username="admin@agency.test")
    agency = membership.agency
    client = SubAccountFactory(agency=agency, name="Pinecrest Plumbing")
    billing_admin = ClientMembershipFactory(sub_account=client,
                                            user__username="owner@pinecrest.test")
    # its usage crosses the limit: the crossing charge is recorded, the next SMS refused
    usage_record(agency=agency, event=sms(client, "first"))
    with pytest.raises(SubAccountSuspended):
        usage_record(agency=agency, event=sms(client, "second"))
    client.refresh_from_db()
    assert client.suspension_reason == "credit_limit"

    # the agency sees it stopped on the dashboard and opens it
    login(browser, live_server, "admin@agency.test", "correct-horse-battery")
    browser.get(f"{live_server.url}/billing/")
    stopped = browser.find_element(By.ID, "at-credit-limit")
    assert "Pinecrest Plumbing" in stopped.text
    screenshot(browser, "dashboard-credit-limit")
    click_and_wait(browser, stopped.find_element(By.LINK_TEXT, "Pinecrest Plumbing"))
    assert "Credit limit reached" in browser.find_element(By.ID, "suspension").text
    assert browser.find_element(By.ID, "headroom").text == "-3.95 USD"

    # it grants a credit with a reason, confirmed first
    credit = browser.find_element(By.CSS_SELECTOR, 'form[action$="/credit/"]')
    credit.find_element(By.NAME, "amount").send_keys("10.00")
    credit.find_element(By.NAME, "reason").send_keys("Welcome credit while you add a card")
    _submit(browser, "/credit/")
    _confirm(browser)
    screenshot(browser, "credit-limit-lifted")

    # the client is live again: no banner, headroom back, its SMS charged
    assert not browser.find_elements(By.ID, "suspension")
    assert browser.find_element(By.ID, "headroom").text == "6.05 USD"
    client.refresh_from_db()
    assert not client.suspended
    usage_record(agency=agency, event=sms(client, "third"))

    # its billing admin sees the credit apart from paid top-ups
    browser.delete_all_cookies()
    login(browser, live_server, billing_admin.user.username, "correct-horse-battery")
    browser.get(f"{live_server.url}/client/{client.pk}/billing/")
    section = browser.find_element(By.ID, "credits-refunds").text
    assert "Welcome credit while you add a card" in section

    # and so does the next invoice
    period = period_get_or_create(agency=agency, moment=timezone.now())
    period_close(period=period, now=period.end)
    invoice = Invoice.objects.get(sub_account=client)
    browser.get(f"{live_server.url}/client/{client.pk}/billing/invoices/{invoice.pk}/")
    assert browser.find_element(By.ID, "credits-total").text == "10.00"
    assert invoice.topups_total == 0
    assert [c for c in ledger_verify() if not c.ok] == []
