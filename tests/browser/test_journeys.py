"""The first five minutes, in real Chromium, on the demo data `make run` loads.

The agency admin marks up a price, gives one client its own price and reads the dashboard and
a client's ledger; Bluebird Dental's client admin replaces the card, adds funds and finds the
payment in its history. With SCREENSHOTS=1 the key pages are saved under docs/screenshots/
(the README shows them); the full 90-day demo is loaded then, a shorter history otherwise.
"""

import os
import re
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from hoopbilling.celery import app as celery_app
from tests.browser.conftest import click_and_wait, login, screenshot
from wallets.demo import seed as demo

# PostgreSQL: the test database is flushed after each test, and only PostgreSQL's TRUNCATE gets
# past the ledger's append-only triggers (SQLite's flush is a refused DELETE).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data(monkeypatch):
    """The demo agency, with Celery running the card charges inline like a worker would."""
    if os.environ.get("SCREENSHOTS") != "1":
        monkeypatch.setattr(demo, "DAYS", 35)
    demo.demo_seed(progress=lambda message: None)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def full_page(browser, limit=2200):
    """Fit the window to the page's height so a screenshot shows all of it."""
    browser.set_window_size(1280, 900)  # a taller window would make the page as tall
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(height + 140, limit))


def messages_text(browser):
    return browser.find_element(By.CLASS_NAME, "messages").text


def amount(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


def test_agency_admin_prices_overrides_and_reads_the_dashboard(browser, live_server, demo_data):
    login(browser, live_server, *demo.AGENCY_ADMIN)

    # the grid arrives marked up; raise the MMS price
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Rebilling & prices"))
    sms_row = browser.find_element(By.CSS_SELECTOR, "#price-grid tr[data-item='sms_outbound']")
    assert "0.015800" in sms_row.text and "50.00 %" in sms_row.text
    full_page(browser)
    screenshot(browser, "price-grid")
    click_and_wait(browser, browser.find_element(By.ID, "edit-prices"))
    price = browser.find_element(By.NAME, "price_mms_outbound")
    price.clear()
    price.send_keys("0.0450")
    click_and_wait(browser, browser.find_element(
        By.CSS_SELECTOR, "#price-grid-form button[type=submit]"))
    assert "Saved 1 price: Outbound MMS." in messages_text(browser)
    assert "0.045000" in browser.find_element(
        By.CSS_SELECTOR, "#price-grid tr[data-item='mms_outbound']").text

    # Cedar Roofing gets its own price for review requests
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Sub-accounts"))
    cedar = browser.find_element(By.XPATH,
                                 "//table[@id='subaccounts']//tr[td[text()='Cedar Roofing']]")
    click_and_wait(browser, cedar.find_element(By.LINK_TEXT, "Billing settings"))
    Select(browser.find_element(By.NAME, "mode_review_request")).select_by_value("override")
    price = browser.find_element(By.NAME, "price_review_request")
    price.clear()
    price.send_keys("0.0300")
    click_and_wait(browser, browser.find_element(
        By.CSS_SELECTOR, "#client-price-form button[type=submit]"))
    assert "Saved Cedar Roofing's prices" in messages_text(browser)
    review_row = browser.find_element(
        By.CSS_SELECTOR, "#client-price-grid tr[data-item='review_request']").text
    assert "0.030000" in review_row and "Own price" in review_row
    # the SMS override the demo gave Cedar is still there
    assert "0.025000" in browser.find_element(
        By.CSS_SELECTOR, "#client-price-grid tr[data-item='sms_outbound']").text
    screenshot(browser, "client-prices")

    # the dashboard: this period's revenue above the platform cost, a drawn chart
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Billing"))
    revenue = amount(browser.find_element(By.ID, "revenue").text)
    cost = amount(browser.find_element(By.ID, "platform-cost").text)
    assert revenue > cost > 0
    WebDriverWait(browser, 10).until(lambda b: b.execute_script(
        "const c = document.getElementById('daily-chart'); return c && c.width > 0 && "
        "window.Chart && Chart.getChart(c) !== undefined;"))
    by_client = browser.find_element(By.ID, "by-client").text
    assert "Bluebird Dental" in by_client and "Harbor Yoga" in by_client
    full_page(browser)
    screenshot(browser, "dashboard")

    # a client's ledger, from the dashboard
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#by-client").find_element(
        By.LINK_TEXT, "Bluebird Dental"))
    ledger = browser.find_element(By.TAG_NAME, "main").text
    assert "Usage ledger · Bluebird Dental" in ledger
    assert "sms_outbound" in ledger or "Outbound SMS" in ledger
    full_page(browser, limit=1400)
    screenshot(browser, "ledger")


def test_client_admin_replaces_the_card_adds_funds_and_sees_the_history(browser, live_server,
                                                                         demo_data):
    login(browser, live_server, *demo.CLIENT_ADMIN)

    # the client's billing page: balance, invoices, recent usage
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Billing"))
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Billing · Bluebird Dental" in page
    assert browser.find_elements(By.CSS_SELECTOR, "#usage-rows tbody tr")
    before = amount(browser.find_element(By.ID, "balance").text)
    full_page(browser)
    screenshot(browser, "client-billing")

    # replace the card on the payment page
    click_and_wait(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Card, add funds"))
    assert "Visa ending 4242" in browser.find_element(By.TAG_NAME, "main").text
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Replace card"))
    Select(browser.find_element(By.NAME, "payment_method")).select_by_value("pm_card_mastercard")
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Save card']"))
    assert "Card mastercard ending 4444 saved." in messages_text(browser)

    # add funds: charged at once (the worker's job, inline here)
    funds = browser.find_element(By.NAME, "amount")
    funds.clear()
    funds.send_keys("50")
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Charge my card']"))
    assert "Your payment is on its way" in messages_text(browser)
    browser.refresh()
    latest = browser.find_element(By.CSS_SELECTOR, "#add-funds ~ section table tbody tr").text
    assert "50.00" in latest and "Added by hand" in latest and "Succeeded" in latest
    full_page(browser)
    screenshot(browser, "client-payments")

    # the history on the billing page shows the new balance and the top-up
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Billing"))
    after = amount(browser.find_element(By.ID, "balance").text)
    assert after == before + 50
    assert "50.00" in browser.find_element(By.ID, "topups").text
