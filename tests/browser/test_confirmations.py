"""In real Chromium: a change that moves money elsewhere asks first (static/js/confirm.js,
`data-confirm-change`), and nothing is saved when the user says no. PostgreSQL only: it
writes audit rows, whose append-only trigger refuses SQLite's flush between tests."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from agencies.models import Agency
from subaccounts.pricing.models import BillableItem, PriceOverride
from subaccounts.pricing.services import price_set
from tests.browser.conftest import click_and_wait, login
from tests.factories import AgencyMembershipFactory, SubAccountFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def answer_the_question(browser, accept: bool) -> str:
    alert = WebDriverWait(browser, 5).until(expected_conditions.alert_is_present())
    question = alert.text
    alert.accept() if accept else alert.dismiss()
    return question


def test_switching_rebilling_off_and_ending_an_own_price_ask_first(browser, live_server):
    membership = AgencyMembershipFactory(agency__name="Northwind", user__username="a@x.test")
    agency = membership.agency
    sub_account = SubAccountFactory(agency=agency, name="Acme Dental")
    price_set(sub_account=sub_account, item=BillableItem.objects.get(code="sms_outbound"),
                 price="0.03", actor_label="test")
    login(browser, live_server, "a@x.test", "correct-horse-battery")

    # rebilling off: saying no keeps it on, saying yes switches it off
    browser.get(f"{live_server.url}/agency/settings/rebilling/")
    browser.find_element(By.NAME, "rebilling_enabled").click()
    browser.find_element(By.CSS_SELECTOR, "form.inline button[type=submit]").click()
    assert "Switch rebilling off?" in answer_the_question(browser, accept=False)
    assert Agency.objects.get(pk=agency.pk).rebilling_enabled
    button = browser.find_element(By.CSS_SELECTOR, "form.inline button[type=submit]")
    old_document = browser.find_element(By.TAG_NAME, "html")
    button.click()
    answer_the_question(browser, accept=True)
    WebDriverWait(browser, 10).until(expected_conditions.staleness_of(old_document))
    assert "Rebilling is now off." in browser.find_element(By.CLASS_NAME, "messages").text

    # a client's own price: ending it asks; a save that changes nothing else does not
    browser.get(f"{live_server.url}/agency/clients/{sub_account.pk}/billing/")
    Select(browser.find_element(By.NAME, "mode_sms_outbound")).select_by_value("inherit")
    browser.find_element(By.CSS_SELECTOR, "#client-price-form button[type=submit]").click()
    assert "End this client's own price for Outbound SMS?" in answer_the_question(
        browser, accept=False)
    assert not PriceOverride.objects.filter(sub_account=sub_account, cleared=True).exists()
    Select(browser.find_element(By.NAME, "mode_sms_outbound")).select_by_value("override")
    click_and_wait(browser, browser.find_element(
        By.CSS_SELECTOR, "#client-price-form button[type=submit]"))  # no question: no change
    assert "0.030000" in browser.find_element(
        By.CSS_SELECTOR, "#client-price-grid tr[data-item='sms_outbound']").text
