"""The card page with Stripe Elements: a SetupIntent made for the client's own customer,
confirmed in the browser, then taken by its id; the sandbox page stays offline."""

import pytest

from tests.factories import ClientMembershipFactory, SubAccountFactory
from wallets.payments.cards import payment_method_attach

pytestmark = pytest.mark.django_db

@pytest.fixture
def billing_admin(client):
    membership = ClientMembershipFactory()
    client.force_login(membership.user)
    return membership


def confirm_in_browser(fake, setup_id, payment_method):
    """What Stripe.js does: the customer's card confirms the SetupIntent."""
    setup = fake.setups[setup_id]
    setup.update(status="succeeded", payment_method=payment_method)
    fake.attached[payment_method] = setup["customer"]


def test_sandbox_card_page_loads_nothing_from_stripe(client, billing_admin):
    response = client.get(f"/client/{billing_admin.sub_account.pk}/payments/card/")
    page = response.content.decode()
    assert "js.stripe.com" not in page and "pm_card_visa" in page
    assert "stripe.com" not in response["Content-Security-Policy"]


def test_elements_page_lets_the_browser_load_stripe_js_and_only_that_page(
        client, billing_admin, stripe_on):
    response = client.get(f"/client/{billing_admin.sub_account.pk}/payments/card/")
    policy = dict(part.strip().split(" ", 1) for part in
                  response["Content-Security-Policy"].split(";") if " " in part.strip())
    assert policy["script-src"] == "'self' https://js.stripe.com"
    assert "https://js.stripe.com" in policy["frame-src"]
    assert "https://hooks.stripe.com" in policy["frame-src"]
    assert policy["connect-src"] == "'self' https://api.stripe.com"
    billing = client.get(f"/client/{billing_admin.sub_account.pk}/payments/")
    assert "stripe.com" not in billing["Content-Security-Policy"]


def test_elements_page_confirms_a_setup_intent_for_the_clients_own_customer(
        client, billing_admin, stripe_on):
    sub_account = billing_admin.sub_account
    page = client.get(f"/client/{sub_account.pk}/payments/card/").content.decode()
    assert '<script src="https://js.stripe.com/v3/"></script>' in page
    [setup] = [setup for setup in stripe_on.setups.values()  # this page view's
               if setup["client_secret"] in page]
    assert stripe_on.customers[setup["customer"]]["metadata"] == {
        "sub_account": str(sub_account.pk)}
    confirm_in_browser(stripe_on, setup["id"], "pm_card_mastercard")
    response = client.post(f"/client/{sub_account.pk}/payments/card/",
                           {"setup_intent": setup["id"]}, follow=True)
    assert "ending 4444 saved" in response.content.decode()
    sub_account.refresh_from_db()
    assert (sub_account.payment_customer_id, sub_account.payment_method_id) == (
        setup["customer"], "pm_card_mastercard")


def test_a_setup_intent_of_another_client_or_unconfirmed_is_refused(
        client, billing_admin, stripe_on):
    sub_account = billing_admin.sub_account
    payment_method_attach(sub_account=sub_account, payment_method="pm_card_visa")
    other = SubAccountFactory()
    client.get(f"/client/{sub_account.pk}/payments/card/")
    other_setup = stripe_on.handle("POST", "/v1/setup_intents", {
        "customer": "cus_someoneelse", "payment_method": "pm_card_mastercard"}, None)[1]
    response = client.post(f"/client/{sub_account.pk}/payments/card/",
                           {"setup_intent": other_setup["id"]})
    assert "No such card setup." in response.content.decode()
    own = [s for s in stripe_on.setups.values()  # each page view makes one
           if s["customer"] == sub_account.payment_customer_id and s["status"] != "succeeded"][-1]
    own["payment_method"] = "pm_card_mastercard"
    response = client.post(f"/client/{sub_account.pk}/payments/card/", {"setup_intent": own["id"]})
    assert "not confirmed" in response.content.decode()
    sub_account.refresh_from_db()
    assert sub_account.payment_method_id == "pm_card_visa"
    assert other.payment_method_id == ""
