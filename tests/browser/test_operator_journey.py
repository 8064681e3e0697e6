"""The operator's journey in real Chromium: log in to the admin, credit a wallet with a
reason, and see the new adjustment in the wallet's ledger."""

from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from hoopbilling.models import AuditLog
from tests.browser.conftest import click_and_wait, screenshot
from tests.browser.test_admin_changelists import admin_login
from tests.factories import EntryFactory, SubAccountFactory, UserFactory
from wallets.ledger.integrity import ledger_verify
from wallets.ledger.models import Entry, Wallet

pytestmark = pytest.mark.django_db(transaction=True)


def test_operator_credits_a_wallet_with_a_reason(browser, live_server):
    # given an operator and a client whose wallet is short
    UserFactory(username="ops@x.test", is_staff=True, is_superuser=True)
    wallet = SubAccountFactory(name="Harbor Yoga").wallet
    EntryFactory(wallet=wallet, kind="usage", amount=Decimal("-3.25"))

    # when the operator selects the wallet and runs the credit action with a reason
    admin_login(browser, live_server, "ops@x.test", "correct-horse-battery")
    browser.get(f"{live_server.url}/admin/wallets/wallet/")
    row = browser.find_element(By.XPATH, "//tr[contains(., 'Harbor Yoga')]")
    row.find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("credit")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[name=index]"))
    browser.find_element(By.NAME, "amount").send_keys("10")
    browser.find_element(By.NAME, "reason").send_keys("Goodwill credit for the outage")
    screenshot(browser, "admin-credit-form")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "input[name=apply]"))

    # then the admin says so, the ledger has the adjustment, and the audit log the reason
    assert "Adjustment posted to 1 wallet" in browser.find_element(By.CSS_SELECTOR,
                                                                     "ul.messagelist").text
    credit = Entry.objects.get(wallet=wallet, kind="adjustment")
    assert credit.amount.amount == Decimal("10")
    assert Wallet.objects.get(pk=wallet.pk).balance.amount == Decimal("6.75")
    assert AuditLog.objects.filter(reason="Goodwill credit for the outage").exists()
    [check] = ledger_verify(wallet_ids=[wallet.pk])
    assert check.ok, check.problems
