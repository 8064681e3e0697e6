"""In real Chromium: the card page with Stripe Elements, and the page where the client confirms
a payment with the bank. Stripe.js comes from a stand-in on another origin
(tests/browser/fake_stripe.js), so each page's Content-Security-Policy must let the browser
load it, and static/js/stripe-pages.js must mount the card field, show a decline without
leaving the page, post a confirmed SetupIntent's id, and settle a confirmed payment."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import click_and_wait, login
from tests.factories import ClientMembershipFactory
from tests.wallets.payments.test_card_elements import confirm_in_browser

# PostgreSQL: saving a card writes an audit row, and only PostgreSQL's TRUNCATE gets past the
# audit log's append-only triggers when the test database is flushed.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FAKE_STRIPE_JS = (Path(__file__).parent / "fake_stripe.js").read_bytes()


@pytest.fixture
def stripe_js(settings, stripe_on):
    """Stripe.js from a server of its own, on another origin than the live server."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript")
            self.send_header("Content-Length", str(len(FAKE_STRIPE_JS)))
            self.end_headers()
            self.wfile.write(FAKE_STRIPE_JS)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.STRIPE_JS_URL = f"http://127.0.0.1:{server.server_address[1]}/v3/"
    yield stripe_on
    server.shutdown()


def test_a_declined_card_stays_on_the_page_and_a_good_one_is_saved(browser, live_server,
                                                                    stripe_js):
    membership = ClientMembershipFactory(sub_account__name="Harbor Yoga",
                                         user__username="c@x.test")
    sub_account = membership.sub_account
    login(browser, live_server, "c@x.test", "correct-horse-battery")
    browser.get(f"{live_server.url}/client/{sub_account.pk}/payments/card/")

    # Stripe.js loaded (the policy let it) and the card field is mounted
    card = browser.find_element(By.ID, "fake-card-number")
    assert card.get_attribute("data-publishable-key").startswith("pk_test_")
    assert browser.find_element(By.ID, "stripe-unavailable").text == ""

    # a declined card: the bank's answer on the page, nothing posted
    card.send_keys("4000 0000 0000 0002")
    browser.find_element(By.XPATH, "//button[text()='Save card']").click()
    WebDriverWait(browser, 5).until(lambda b: "declined" in b.find_element(
        By.ID, "stripe-unavailable").text)
    assert browser.current_url.endswith("/payments/card/")

    # a good card: Stripe records it on the SetupIntent, the page posts the intent's id
    [setup] = [setup for setup in stripe_js.setups.values()
               if setup["client_secret"] in browser.page_source]
    confirm_in_browser(stripe_js, setup["id"], "pm_card_mastercard")
    card.clear()
    card.send_keys("5555 5555 5555 4444")
    click_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Save card']"))
    assert "Card mastercard ending 4444 saved." in browser.find_element(
        By.CLASS_NAME, "messages").text
    sub_account.refresh_from_db()
    assert sub_account.payment_method_id == "pm_card_mastercard"


def test_the_bank_confirmation_opens_on_the_page_and_settles_the_top_up(browser, live_server,
                                                                        stripe_js):
    from decimal import Decimal

    from wallets.ledger.models import Entry
    from wallets.payments.cards import payment_method_attach
    from wallets.payments.topups import topup_attempt, topup_request

    membership = ClientMembershipFactory(sub_account__name="Harbor Yoga",
                                         user__username="c@x.test")
    sub_account = membership.sub_account
    payment_method_attach(sub_account=sub_account,
                          payment_method="pm_card_authenticationRequired")
    topup = topup_request(wallet_id=sub_account.wallet.pk, trigger="manual",
                          amount=Decimal("25"), enqueue=False)
    topup = topup_attempt(topup_id=topup.pk)
    assert topup.status == "requires_action"
    # what the bank's screen does at Stripe while Stripe.js confirms the payment
    stripe_js.intents[topup.charge_id]["status"] = "succeeded"

    login(browser, live_server, "c@x.test", "correct-horse-battery")
    browser.get(f"{live_server.url}/client/{sub_account.pk}/payments/topups/{topup.pk}"
                "/authenticate/")
    WebDriverWait(browser, 10).until(lambda b: "Payment confirmed" in b.find_element(
        By.TAG_NAME, "body").text)
    topup.refresh_from_db()
    assert topup.status == "succeeded"
    assert Entry.objects.filter(wallet=sub_account.wallet, kind="topup").count() == 1
