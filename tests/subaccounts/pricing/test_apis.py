"""`/prices` and `/subaccounts/{id}/prices/{item}` (docs/api.md#pricing)."""

import pytest
from rest_framework.test import APIClient

from hoopbilling.models import AuditLog
from subaccounts.pricing.models import AgencyPrice, PriceOverride
from tests.factories import SubAccountFactory

pytestmark = pytest.mark.django_db


def test_grid_lists_every_item_at_base_cost_with_zero_margin(api):
    response = api.get("/api/v1/prices")
    assert response.status_code == 200
    rows = {row["item"]: row for row in response.json()}
    assert len(rows) == 9
    assert rows["sms_outbound"] == {
        "item": "sms_outbound", "unit": "segment", "price_per": 1, "currency": "USD",
        "base_cost": "0.007900", "price": "0.007900", "tiers": None, "margin": "0.000000",
        "margin_percent": "0.00", "subsidized": False, "source": "base_cost"}
    assert rows["email_send"]["price_per"] == 1000 and rows["email_send"]["base_cost"] == "0.675000"


def test_put_a_flat_price_answers_the_row_with_margin(api):
    response = api.put("/api/v1/prices/sms_outbound", {"price": "0.0150"}, format="json")
    assert response.status_code == 200, response.json()
    row = response.json()
    assert (row["price"], row["margin"], row["margin_percent"], row["source"]) == (
        "0.015000", "0.007100", "47.33", "agency")
    assert api.get("/api/v1/prices/sms_outbound").json() == row
    assert AuditLog.objects.get(action="price.set").actor_label.startswith("api-key:")


def test_email_margin_is_per_thousand_emails(api):
    row = api.put("/api/v1/prices/email_send", {"price": "1.35"}, format="json").json()
    assert (row["price"], row["base_cost"], row["margin"], row["margin_percent"]) == (
        "1.350000", "0.675000", "0.675000", "50.00")


def test_put_tiers_answers_a_margin_per_tier(api):
    body = {"tiers": [{"up_to": "10000", "price": "0.0100"}, {"up_to": None, "price": "0.0079"}]}
    row = api.put("/api/v1/prices/sms_outbound", body, format="json").json()
    assert row["price"] is None and row["margin"] is None and row["margin_percent"] is None
    assert row["tiers"] == [
        {"up_to": "10000", "price": "0.0100", "margin": "0.002100", "margin_percent": "21.00"},
        {"up_to": None, "price": "0.0079", "margin": "0.000000", "margin_percent": "0.00"}]


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"price": "-1"}, "price", "invalid"),
    ({"price": "0.0000001"}, "price", "invalid"),
    ({"price": "0.001"}, "price", "below_base_cost"),
    ({"price": 0.02}, "price", "invalid"),
    ({"price": "twelve"}, "price", "invalid"),
    ({"price": "0.02", "currency": "GBP"}, "currency", "currency_mismatch"),
    ({"tiers": [{"up_to": "5", "price": "0.02"}, {"up_to": "5", "price": "0.02"},
                {"up_to": None, "price": "0.02"}]}, "tiers[1].up_to", "invalid"),
    ({"tiers": [{"up_to": "5", "price": "0.02"}]}, "tiers[0].up_to", "invalid"),
    ({"price": "0.02", "colour": "red"}, "colour", "invalid"),
    (["0.02"], "price", "invalid"),
])
def test_bad_price_bodies_are_400_naming_the_field(api, body, field, code):
    response = api.put("/api/v1/prices/sms_outbound", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and field in error["fields"]
    assert not AgencyPrice.objects.exists()


def test_subsidy_needs_the_flag(api):
    assert api.put("/api/v1/prices/sms_outbound", {"price": "0.005"},
                   format="json").status_code == 400
    response = api.put("/api/v1/prices/sms_outbound", {"price": "0.005", "subsidize": True},
                       format="json")
    assert response.status_code == 200 and response.json()["subsidized"] is True
    assert response.json()["margin"] == "-0.002900"


def test_unknown_item_is_404(api):
    for method in ("get", "put"):
        response = getattr(api, method)("/api/v1/prices/fax_outbound", {"price": "1"},
                                        format="json")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_client_override_put_get_delete(api, key):
    sub_account = SubAccountFactory(agency=key.agency)
    url = f"/api/v1/subaccounts/{sub_account.pk}/prices/sms_outbound"
    api.put("/api/v1/prices/sms_outbound", {"price": "0.0150"}, format="json")
    assert api.get(url).json()["source"] == "agency"
    response = api.put(url, {"price": "0.0120"}, format="json")
    assert response.status_code == 200
    assert (response.json()["source"], response.json()["price"]) == ("override", "0.012000")
    assert response.json()["sub_account"] == str(sub_account.pk)
    assert api.get(url).json()["price"] == "0.012000"
    response = api.delete(url)
    assert response.status_code == 200
    assert (response.json()["source"], response.json()["price"]) == ("agency", "0.015000")
    assert list(PriceOverride.objects.values_list("cleared", flat=True)
                .order_by("effective_from")) == [False, True]


def test_client_override_follows_the_rules(api, key):
    sub_account = SubAccountFactory(agency=key.agency)
    url = f"/api/v1/subaccounts/{sub_account.pk}/prices/sms_outbound"
    response = api.put(url, {"price": "0.001"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "below_base_cost"
    assert not PriceOverride.objects.exists()
    assert api.put(url, {"price": "0.001", "subsidize": True}, format="json").status_code == 200


def test_another_agencys_client_is_404_for_every_method(api):
    other = SubAccountFactory()
    url = f"/api/v1/subaccounts/{other.pk}/prices/sms_outbound"
    for method in ("get", "put", "delete"):
        response = getattr(api, method)(url, {"price": "0.02"}, format="json")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert not PriceOverride.objects.exists()
    assert api.get("/api/v1/subaccounts/not-a-uuid/prices/sms_outbound").status_code == 404


def test_prices_need_an_api_key():
    assert APIClient().get("/api/v1/prices").status_code == 401
