"""The operators' admin in real Chromium: the wallet and ledger change lists render with
their rows and their filters, and the ledger list filtered from a wallet shows only its
entries."""

from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import click_and_wait, screenshot
from tests.factories import EntryFactory, SubAccountFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def admin_login(browser, live_server, username, password):
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit]"))


def filter_titles(browser):
    return [h.text.lower() for h in browser.find_elements(By.CSS_SELECTOR,
                                                            "#changelist-filter summary, "
                                                            "#changelist-filter h3")]


def test_wallet_and_ledger_changelists_render_with_their_filters(browser, live_server):
    UserFactory(username="ops@x.test", is_staff=True, is_superuser=True)
    busy = SubAccountFactory(name="Busy Bakery").wallet
    quiet = SubAccountFactory(name="Quiet Cafe").wallet
    EntryFactory(wallet=busy, amount=Decimal("25"))
    EntryFactory(wallet=busy, amount=Decimal("-0.0079"))
    EntryFactory(wallet=quiet, amount=Decimal("5"))
    admin_login(browser, live_server, "ops@x.test", "correct-horse-battery")

    # the wallets list: both clients, their balances, and the operator's filters
    browser.get(f"{live_server.url}/admin/wallets/wallet/")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    text = browser.find_element(By.ID, "result_list").text
    assert len(rows) == 2 and "Busy Bakery" in text and "24.9921 USD" in text
    titles = filter_titles(browser)
    assert any("balance" in t for t in titles) and any("auto topup" in t for t in titles)
    screenshot(browser, "admin-wallets")

    # from the wallet to its ledger: only its entries, amounts to six places
    click_and_wait(browser, browser.find_element(
        By.XPATH, "//tr[contains(., 'Busy Bakery')]//a[text()='ledger']"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    text = browser.find_element(By.ID, "result_list").text
    assert len(rows) == 2 and "-0.0079 USD" in text and "Quiet Cafe" not in text
    titles = filter_titles(browser)
    assert any("kind" in t for t in titles) and any("agency" in t for t in titles)
    assert browser.find_elements(By.CSS_SELECTOR, ".toplinks")  # the date hierarchy
    screenshot(browser, "admin-ledger")

    # the ledger's actions offer corrections, never a bulk delete
    options = [o.get_attribute("value") for o in
               browser.find_elements(By.CSS_SELECTOR, "select[name=action] option")]
    assert "reverse_usage" in options and "delete_selected" not in options
