"""In real Chromium: an agency admin marks up the grid, overrides one client's SMS price,
resets it, and finds both changes in the price history."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import click_and_wait, login, screenshot
from tests.factories import AgencyMembershipFactory, SubAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


def row_text(browser, table_id, item):
    return browser.find_element(
        By.CSS_SELECTOR, f"#{table_id} tr[data-item='{item}']").text


def test_markup_override_reset_and_history(browser, live_server):
    membership = AgencyMembershipFactory(agency__name="Northwind", user__username="a@x.test")
    SubAccountFactory(agency=membership.agency, name="Acme Dental")
    login(browser, live_server, "a@x.test", "correct-horse-battery")

    # the grid starts at the base cost: no margin
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Rebilling & prices"))
    assert "0.00 %" in row_text(browser, "price-grid", "sms_outbound")

    # a markup on SMS: base cost 0.0079 → 0.0158 is a 50 % margin
    click_and_wait(browser, browser.find_element(By.ID, "edit-prices"))
    price = browser.find_element(By.NAME, "price_sms_outbound")
    price.clear()
    price.send_keys("0.0158")
    click_and_wait(browser, browser.find_element(
        By.CSS_SELECTOR, "#price-grid-form button[type=submit]"))
    assert "Saved 1 price: Outbound SMS." in browser.find_element(By.CLASS_NAME, "messages").text
    sms_row = row_text(browser, "price-grid", "sms_outbound")
    assert "0.015800" in sms_row and "0.007900" in sms_row and "50.00 %" in sms_row
    screenshot(browser, "pricing-grid")

    # one client's own SMS price
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Sub-accounts"))
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Billing settings"))
    Select(browser.find_element(By.NAME, "mode_sms_outbound")).select_by_value("override")
    price = browser.find_element(By.NAME, "price_sms_outbound")
    price.clear()
    price.send_keys("0.0300")
    click_and_wait(browser, browser.find_element(
        By.CSS_SELECTOR, "#client-price-form button[type=submit]"))
    assert "Saved Acme Dental's prices" in browser.find_element(By.CLASS_NAME, "messages").text
    sms_row = row_text(browser, "client-price-grid", "sms_outbound")
    assert "0.030000" in sms_row and "Own price" in sms_row
    screenshot(browser, "pricing-client-override")

    # reset it, after a confirmation page
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR,
                         "#client-price-grid tr[data-item='sms_outbound'] a.reset"))
    assert "Reset to agency price?" in browser.find_element(By.TAG_NAME, "main").text
    click_and_wait(browser, browser.find_element(By.ID, "confirm-reset"))
    assert "pays the agency price for Outbound SMS again" in browser.find_element(
        By.CLASS_NAME, "messages").text
    sms_row = row_text(browser, "client-price-grid", "sms_outbound")
    assert "0.015800" in sms_row and "Inherits agency price" in sms_row

    # both changes, and the markup, in the agency's price history
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Price history"))
    history = browser.find_element(By.ID, "price-history").text
    assert "reset to agency price" in history
    assert "0.0300" in history and "0.0158" in history and "Acme Dental" in history
    assert "a@x.test" in history
    screenshot(browser, "pricing-history")
