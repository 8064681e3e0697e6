"""Bad input to every write endpoint of the API: 400 (413 for a huge body) in the contract's
error shape, naming the field to blame, and nothing written."""

import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse

from .conftest import database_snapshot

pytestmark = pytest.mark.django_db

# (method, path template, a valid body, the field whose value the tests spoil)
WRITE_ENDPOINTS = [
    ("patch", "/api/v1/agency", {"name": "Renamed"}, "name"),
    ("put", "/api/v1/prices/sms_outbound", {"price": "0.05", "subsidize": True}, "price"),
    ("put", "/api/v1/subaccounts/{sub}/prices/sms_outbound",
     {"price": "0.05", "subsidize": True}, "price"),
    ("patch", "/api/v1/subaccounts/{sub}/wallet",
     {"auto_topup": {"enabled": True, "threshold": "5.00", "amount": "20.00"}}, "auto_topup"),
    ("put", "/api/v1/subaccounts/{sub}/payment-method", {"payment_method": "pm_card_visa"},
     "payment_method"),
    ("post", "/api/v1/subaccounts/{sub}/wallet/topups", {"amount": "10.00"}, "amount"),
]
ENDPOINT_IDS = [f"{m.upper()} {p}" for m, p, _, _ in WRITE_ENDPOINTS]
AMOUNT_FIELDS = {"price", "amount"}


@pytest.fixture
def api(intruder):
    """The second tenant's key, calling on its own objects (so only the input is wrong)."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {intruder.api_key.raw_key}")

    def call(method, template, body, content_type="application/json"):
        path = template.format(sub=intruder.sub_account.pk)
        raw = body if isinstance(body, str | bytes) else json.dumps(body)
        return getattr(client, method)(path, raw, content_type=content_type)

    return call


def assert_refused(response, *, field=None, status=400):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if field is not None:
        assert any(key == field or key.startswith(f"{field}.") for key in error["fields"]), error
    return error


@pytest.mark.parametrize(("method", "path", "body", "field"), WRITE_ENDPOINTS, ids=ENDPOINT_IDS)
def test_valid_body_is_accepted(api, method, path, body, field):
    # the baseline the other tests spoil: the same body, unspoilt, works
    assert api(method, path, body).status_code in (200, 201)


@pytest.mark.parametrize(("method", "path", "body", "field"), WRITE_ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("raw", ['{"price": ', "{'price': 1}", "[1, 2", "\x00", "NaN",
                                 '{"a": Infinity}', b"\xff\xfe{}"],
                         ids=["truncated", "single-quotes", "open-list", "nul", "nan",
                              "infinity", "not-utf8"])
def test_malformed_json_is_refused(api, method, path, body, field, raw):
    before = database_snapshot()
    assert_refused(api(method, path, raw))
    assert database_snapshot() == before


@pytest.mark.parametrize(("method", "path", "body", "field"), WRITE_ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("not_an_object", [[], [1], "text", 7, None])
def test_body_that_is_not_an_object_is_refused(api, method, path, body, field, not_an_object):
    before = database_snapshot()
    assert_refused(api(method, path, not_an_object))
    assert database_snapshot() == before


@pytest.mark.parametrize(("method", "path", "body", "field"), WRITE_ENDPOINTS, ids=ENDPOINT_IDS)
def test_huge_body_is_refused_before_it_is_read(api, method, path, body, field):
    before = database_snapshot()
    huge = json.dumps({**body, "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    error = assert_refused(api(method, path, huge), status=413)
    assert error["code"] == "payload_too_large"
    assert database_snapshot() == before


@pytest.mark.parametrize(("method", "path", "body", "field"), WRITE_ENDPOINTS, ids=ENDPOINT_IDS)
def test_deeply_nested_body_is_refused(api, method, path, body, field):
    before = database_snapshot()
    assert_refused(api(method, path, "[" * 100_000 + "]" * 100_000))
    assert database_snapshot() == before


@pytest.mark.parametrize(("method", "path", "body", "field"), WRITE_ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("wrong", [["0.05"], {"value": "0.05"}, True, 10**40],
                         ids=["list", "object", "bool", "huge-int"])
def test_wrong_type_names_the_field(api, method, path, body, field, wrong):
    before = database_snapshot()
    assert_refused(api(method, path, {**body, field: wrong}), field=field)
    assert database_snapshot() == before


@pytest.mark.parametrize(("method", "path", "body", "field"), WRITE_ENDPOINTS, ids=ENDPOINT_IDS)
def test_unknown_field_is_named(api, method, path, body, field):
    before = database_snapshot()
    assert_refused(api(method, path, {**body, "surprise": 1}), field="surprise")
    assert database_snapshot() == before


@pytest.mark.parametrize(("method", "path", "body", "field"), WRITE_ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "x\udfffy"],
                         ids=["nul", "lone-high-surrogate", "lone-low-surrogate"])
def test_unstorable_text_names_the_field(api, method, path, body, field, text):
    before = database_snapshot()
    spoilt = {**body, field: text} if field != "auto_topup" else {
        "auto_topup": {**body["auto_topup"], "threshold": text}}
    assert_refused(api(method, path, spoilt), field=field)
    assert database_snapshot() == before


def test_right_to_left_text_is_kept_as_sent(api, intruder):
    name = "وكالة \u202eevil\u202c עברית"
    response = api("patch", "/api/v1/agency", {"name": name})
    assert response.status_code == 200
    intruder.agency.refresh_from_db()
    assert intruder.agency.name == name


@pytest.mark.parametrize(("method", "path", "body", "field"),
                         [e for e in WRITE_ENDPOINTS if e[3] in AMOUNT_FIELDS],
                         ids=[i for i, e in zip(ENDPOINT_IDS, WRITE_ENDPOINTS, strict=True)
                              if e[3] in AMOUNT_FIELDS])
@pytest.mark.parametrize("amount", ["0.123456789012345678901234567890", "-1.00", "-0.000001",
                                    "1e400", "abc", "", "１２"],
                         ids=["30-places", "negative", "tiny-negative", "exponent", "letters",
                              "empty", "fullwidth-digits"])
def test_bad_amounts_name_the_field(api, method, path, body, field, amount):
    before = database_snapshot()
    assert_refused(api(method, path, {**body, field: amount}), field=field)
    assert database_snapshot() == before


@pytest.mark.parametrize("threshold", ["0.123456789012345678901234567890", "-5.00"])
def test_bad_auto_topup_amounts_name_the_field(api, threshold):
    before = database_snapshot()
    body = {"auto_topup": {"enabled": True, "threshold": threshold, "amount": "20.00"}}
    assert_refused(api("patch", "/api/v1/subaccounts/{sub}/wallet", body), field="auto_topup")
    assert database_snapshot() == before


def test_delete_of_an_override_for_an_unknown_item_writes_nothing(api):
    before = database_snapshot()
    response = api("delete", "/api/v1/subaccounts/{sub}/prices/no_such_item", "")
    assert_refused(response, status=404)
    assert database_snapshot() == before


def _usage_url():
    try:
        return reverse("api-usage")
    except NoReverseMatch:
        from django.urls import resolve
        from django.urls.exceptions import Resolver404

        try:
            resolve("/api/v1/usage")
        except Resolver404:
            return None
        return "/api/v1/usage"


USAGE_BAD_EVENTS = [
    ({"item": "sms_outbound", "idempotency_key": "k1", "quantity": "1"}, "sub_account"),
    ({"sub_account": "{sub}", "item": "no_such_item", "idempotency_key": "k2",
      "quantity": "1"}, "item"),
    ({"sub_account": "{sub}", "item": "sms_outbound", "idempotency_key": "",
      "quantity": "1"}, "idempotency_key"),
    ({"sub_account": "{sub}", "item": "sms_outbound", "idempotency_key": "k" * 256,
      "quantity": "1"}, "idempotency_key"),
    ({"sub_account": "{sub}", "item": "sms_outbound", "idempotency_key": "k3",
      "quantity": "-1"}, "quantity"),
    ({"sub_account": "{sub}", "item": "sms_outbound", "idempotency_key": "k4",
      "quantity": "0.123456789012345678901234567890"}, "quantity"),
    ({"sub_account": "{sub}", "item": "sms_outbound", "idempotency_key": "k5",
      "quantity": ["1"]}, "quantity"),
    ({"sub_account": "{sub}", "item": "sms_outbound", "idempotency_key": "k6",
      "quantity": "1", "surprise": True}, "surprise"),
    ({"sub_account": "{sub}", "item": "sms_outbound", "idempotency_key": "k\x00",
      "quantity": "1"}, "idempotency_key"),
    ({"sub_account": "{sub}", "item": "call_outbound", "idempotency_key": "k7",
      "duration_seconds": -60}, "duration_seconds"),
    ({"sub_account": "{sub}", "item": "sms_outbound", "idempotency_key": "k8",
      "quantity": "1", "occurred_at": "yesterday"}, "occurred_at"),
]


@pytest.mark.parametrize(("event", "field"), USAGE_BAD_EVENTS,
                         ids=[f for _, f in USAGE_BAD_EVENTS])
def test_bad_usage_event_names_the_field(api, intruder, event, field):
    url = _usage_url()
    if url is None:
        pytest.skip("POST /usage is not on this branch yet (it arrives with the usage API)")
    before = database_snapshot()
    body = {k: (v.format(sub=intruder.sub_account.pk) if isinstance(v, str) else v)
            for k, v in event.items()}
    assert_refused(api("post", url, body), field=field)
    assert database_snapshot() == before
