"""In real Chromium: an agency admin adds a webhook endpoint pointing at a receiver the test
runs on loopback (allowed by `WEBHOOK_ALLOW_PRIVATE_URLS`), copies its secret from the page
that shows it once, sends a test event and sees it delivered in the endpoint's log, with the
attempt's answer; the receiver got it signed with that secret. PostgreSQL only."""

import hashlib
import hmac
import json

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import click_and_wait, login, screenshot
from tests.factories import AgencyMembershipFactory
from tests.wallets.webhooks.conftest import Receiver

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.mark.usefixtures("eager_celery")
def test_agency_adds_an_endpoint_sends_a_test_event_and_sees_it_delivered(
        browser, live_server, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    AgencyMembershipFactory(agency__name="Northwind", user__username="a@x.test")
    login(browser, live_server, "a@x.test", "correct-horse-battery")

    # the nav leads to the page; an endpoint is added for every event type
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Webhooks"))
    assert "No endpoints yet" in browser.page_source
    browser.find_element(By.NAME, "url").send_keys(receiver.url)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR,
                                                 "#add-endpoint button[type=submit]"))
    assert "added." in browser.find_element(By.CLASS_NAME, "messages").text
    secret = browser.find_element(By.ID, "secret-value").text
    assert secret.startswith("whsec_")
    assert "it will not be shown again" in browser.page_source
    screenshot(browser, "webhooks-secret")

    # the log: a test event, delivered while the page posts (Celery runs inline here)
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Delivery log"))
    assert "No deliveries yet" in browser.page_source
    click_and_wait(browser, browser.find_element(By.ID, "send-test"))
    assert "Test event evt_" in browser.find_element(By.CLASS_NAME, "messages").text
    browser.refresh()
    row = browser.find_element(By.CSS_SELECTOR, "#deliveries tbody tr")
    assert row.get_attribute("data-status") == "succeeded", row.text
    assert "webhook.test" in row.text and "200" in row.text
    screenshot(browser, "webhooks-log")

    # the receiver got it, signed with the secret the page showed
    request = receiver.requests[-1]
    headers, body = request["headers"], request["body"]
    stamp, signature = (part.split("=", 1)[1]
                        for part in headers["HoopBilling-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(signature, expected.hexdigest())
    event_id = json.loads(body)["id"]

    # the delivery's page: the attempt and the payload
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, event_id))
    attempts = browser.find_element(By.ID, "attempts").text
    assert "200" in attempts and "answered 200" in attempts
    assert event_id in browser.find_element(By.ID, "payload").text

    # the list: the endpoint's last delivery succeeded; the secret is not on the page
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Webhooks"))
    assert "Succeeded (200)" in browser.find_element(By.ID, "endpoints").text
    assert secret not in browser.page_source
