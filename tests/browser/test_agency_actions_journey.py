"""The agency acts on a client from its wallet page in a real browser: it suspends it for
chosen items, grants a credit with a reason (each confirmed first), resumes it; the client's
billing admin sees the credit apart from paid top-ups, and so does the next invoice."""

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from tests.browser.conftest import click_and_wait, login, screenshot
from tests.factories import AgencyMembershipFactory, ClientMembershipFactory, SubAccountFactory
from wallets.billing.invoicing import period_close, period_get_or_create
from wallets.billing.models import Invoice
from wallets.ledger.integrity import ledger_verify

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(browser, action_suffix):
    """Press the button of the Actions form that posts to `…/<action_suffix>`."""
    form = browser.find_element(By.CSS_SELECTOR, f'form[action$="{action_suffix}"]')
    click_and_wait(browser, form.find_element(By.TAG_NAME, "button"))


def _confirm(browser):
    assert "Please confirm" in browser.page_source
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Confirm']"))


def test_agency_suspends_credits_and_resumes_a_client_who_sees_the_credit(browser,
                                                                          live_server):
    membership = AgencyMembershipFactory(user__username="admin@agency.test")
    client = SubAccountFactory(agency=membership.agency, name="Bakery")
    billing_admin = ClientMembershipFactory(sub_account=client,
                                            user__username="owner@bakery.test")
    login(browser, live_server, "admin@agency.test", "correct-horse-battery")
    wallet_page = f"{live_server.url}/agency/clients/{client.pk}/wallet/"

    # suspend SMS only, with a reason
    browser.get(wallet_page)
    browser.find_element(By.CSS_SELECTOR, 'input[name="items"][value="sms_outbound"]').click()
    suspend = browser.find_element(By.CSS_SELECTOR, 'form[action$="/suspend/"]')
    suspend.find_element(By.NAME, "reason").send_keys("Disputed campaign")
    _submit(browser, "/suspend/")
    assert "Outbound SMS" in browser.page_source or "sms" in browser.page_source.lower()
    _confirm(browser)
    assert "Bakery is suspended." in browser.page_source
    client.refresh_from_db()
    assert (client.suspension_reason, client.suspension_items) == ("agency", ["sms_outbound"])

    # grant a credit with a reason
    credit = browser.find_element(By.CSS_SELECTOR, 'form[action$="/credit/"]')
    credit.find_element(By.NAME, "amount").send_keys("15.00")
    credit.find_element(By.NAME, "reason").send_keys("Sorry for the outage")
    screenshot(browser, "agency-actions")
    _submit(browser, "/credit/")
    _confirm(browser)
    assert "Credit of" in browser.page_source and "15.00" in browser.page_source

    # resume
    _submit(browser, "/resume/")
    _confirm(browser)
    assert "Bakery is resumed." in browser.page_source
    client.refresh_from_db()
    assert not client.suspended

    # the client's billing admin sees the credit apart from paid top-ups
    browser.delete_all_cookies()
    login(browser, live_server, billing_admin.user.username, "correct-horse-battery")
    browser.get(f"{live_server.url}/client/{client.pk}/billing/")
    section = browser.find_element(By.ID, "credits-refunds").text
    assert "Credit from your agency" in section and "Sorry for the outage" in section
    screenshot(browser, "client-billing-credit")

    # and the next invoice shows it apart
    period = period_get_or_create(agency=client.agency, moment=timezone.now())
    period_close(period=period, now=period.end)
    invoice = Invoice.objects.get(sub_account=client)
    browser.get(f"{live_server.url}/client/{client.pk}/billing/invoices/{invoice.pk}/")
    assert browser.find_element(By.ID, "credits-total").text == "15.00"
    assert [c for c in ledger_verify() if not c.ok] == []
