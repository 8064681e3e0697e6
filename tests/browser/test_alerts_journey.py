"""In real Chromium: an agency admin sets the agency's low-balance levels and a spend alert,
a client crosses them through the usage API, the nav counts the unread notifications, and
the admin reads them. PostgreSQL only (audit rows meet SQLite's flush)."""

import pytest
from rest_framework.test import APIClient
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import click_and_wait, login, screenshot
from tests.factories import (
    AgencyMembershipFactory,
    AgencyPriceFactory,
    ApiKeyFactory,
    wallet_with_card,
)
from wallets.alerts.models import FiredAlert

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("eager_celery")
def test_agency_sets_alerts_a_client_crosses_them_and_the_nav_counts_them(
        browser, live_server):
    membership = AgencyMembershipFactory(agency__name="Northwind", user__username="a@x.test")
    wallet = wallet_with_card(agency=membership.agency, balance="60")
    wallet.sub_account.name = "Acme Dental"
    wallet.sub_account.save(update_fields=["name"])
    login(browser, live_server, "a@x.test", "correct-horse-battery")

    # the agency's default: levels and a spend alert, each saved with a message
    browser.get(f"{live_server.url}/agency/alerts/")
    assert "No alerts have fired yet" in browser.page_source
    field = browser.find_element(By.NAME, "low_balance")
    field.clear()
    field.send_keys("50, 20")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR,
                                                 "#low-balance button[type=submit]"))
    assert "Low-balance levels saved." in browser.find_element(By.CLASS_NAME, "messages").text
    browser.find_element(By.NAME, "amount").send_keys("30")
    Select(browser.find_element(By.NAME, "window")).select_by_value("day")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR,
                                                 "#spend-alerts button[type=submit]"))
    assert "Spend alert added." in browser.find_element(By.CLASS_NAME, "messages").text

    # the client sends 3,000 messages at 0.015 (45, from 60 to 15): below 50 and 20 at once,
    # and 45 ≥ 30 today; the alerts are checked after the usage commits
    AgencyPriceFactory(agency=membership.agency)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiKeyFactory(agency=membership.agency).raw_key}")
    response = api.post("/api/v1/usage", {
        "sub_account": str(wallet.sub_account_id), "item": "sms_outbound", "quantity": "3000",
        "idempotency_key": "campaign"}, format="json")
    assert response.status_code == 201, response.content
    assert sorted(FiredAlert.objects.values_list("kind", flat=True)) == ["low_balance", "spend"]
    assert FiredAlert.objects.get(kind="low_balance").threshold.amount == 20

    # the nav counts two unread; the page shows them, the client's page its history
    browser.get(f"{live_server.url}/agency/alerts/")
    badge = browser.find_element(By.CSS_SELECTOR, "#nav-notifications .badge")
    assert badge.text == "2"
    assert "Acme Dental" in browser.find_element(By.ID, "fired-alerts").text
    screenshot(browser, "alerts-agency")
    click_and_wait(browser, browser.find_element(By.ID, "nav-notifications"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.unread")) == 2
    screenshot(browser, "notifications-unread")
    click_and_wait(browser, browser.find_element(
        By.CSS_SELECTOR, "#notifications tr.unread button"))
    assert browser.find_element(By.CSS_SELECTOR, "#nav-notifications .badge").text == "1"
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Mark all read']"))
    assert "1 notification marked read." in browser.find_element(By.CLASS_NAME, "messages").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#nav-notifications .badge")
