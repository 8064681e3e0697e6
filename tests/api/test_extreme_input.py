"""Property tests (Hypothesis) over POST /usage, /usage/batch and /quote: whatever numbers and
dates a client sends (huge, tiny, negative, NaN and Infinity, "1e999", many decimals, years 1
and 9999, any UTC offset), the answer is a 2xx or a 4xx naming a field, never a 500; what is
recorded fits every column; one bad event never sinks the good one beside it."""

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoopbilling.money import COLUMN_MAX
from wallets.ledger.models import Wallet
from wallets.usage.models import UsageCharge

pytestmark = pytest.mark.django_db

ITEMS = ["sms_outbound", "mms_outbound", "call_inbound", "call_outbound", "email_send",
         "email_verification", "workflow_premium", "content_ai", "review_request"]
# The database is not rolled back between examples: few examples, each with its own keys.
EXAMPLES = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# Text no column holds (a NUL, an unpaired surrogate) is left out: /usage and /quote refuse
# the whole body for it (tests in test_bad_input.py); these tests are about numbers and dates.
storable = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                          blacklist_characters="\x00"), max_size=40)
NUMBER_TEXT = st.sampled_from([
    "1e999", "1E-999", "-1e999", "NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "-0",
    "0e0", "0", "0.0000001", "0." + "0" * 80 + "1", "9" * 400, "-" + "9" * 40, "1_000",
    "１２", "١٢", " 12 ", "+5", ".5", "5.", "0x10", "", "1,5", "999999999999",
    "1000000000.000001", "1000000000", "999999999.999999", "123456789012.1234567"])
numbers = st.one_of(
    NUMBER_TEXT,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(min_value=-10 ** 15, max_value=10 ** 15, places=8).map(str),
    st.integers(min_value=-10 ** 40, max_value=10 ** 40),
    st.integers(min_value=-10 ** 40, max_value=10 ** 40).map(str),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(), st.none(), st.lists(st.integers(), max_size=2), storable)
offsets = st.builds(timezone, st.timedeltas(min_value=-timedelta(hours=23, minutes=59),
                                            max_value=timedelta(hours=23, minutes=59)))
moments = st.one_of(
    st.sampled_from(["0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z",
                     "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59.999999Z",
                     "1999-12-31T23:59:59Z", "2000-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
                     "2026-03-01T00:00:00+25:00", "now", "", "2026-03-01", "T"]),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.one_of(st.none(), offsets)).map(datetime.isoformat),
    st.integers(), st.floats(allow_nan=False, allow_infinity=False), storable)


@st.composite
def events(draw, sub_account):
    """A usage event with an extreme measure and, now and then, an extreme occurred_at."""
    item = draw(st.sampled_from(ITEMS))
    measure = draw(st.sampled_from(["quantity", "duration_seconds", "text", "message_body"]))
    if measure == "text" or measure == "message_body":
        value = draw(st.one_of(storable, st.just("word " * 5_000),
                               st.just("x" * 20_001), numbers))
    else:
        value = draw(numbers)
    body = {"sub_account": str(sub_account.pk), "item": item,
            "idempotency_key": f"x-{uuid.uuid4()}", measure: value}
    if draw(st.booleans()):
        body["occurred_at"] = draw(moments)
    return body


def _good(sub_account) -> dict:
    return {"sub_account": str(sub_account.pk), "item": "sms_outbound",
            "idempotency_key": f"good-{uuid.uuid4()}", "quantity": "1"}


def _answered(response) -> dict:
    assert response.status_code < 500, response.content
    body = response.json()
    if response.status_code >= 400:
        assert body["error"]["code"] and isinstance(body["error"]["fields"], dict)
    return body


def _fits(charge: dict) -> None:
    for name in ("quantity", "amount", "wallet_balance", "base_cost_amount"):
        assert abs(Decimal(charge[name])) <= COLUMN_MAX, (name, charge)


def _within_columns(sub_account) -> None:
    assert abs(Wallet.objects.get(pk=sub_account.wallet.pk).balance.amount) <= COLUMN_MAX
    for charge in UsageCharge.objects.filter(sub_account=sub_account):
        assert charge.quantity <= COLUMN_MAX and charge.amount.amount <= COLUMN_MAX


@pytest.fixture
def client_api(api):
    api.raise_request_exception = False  # a 500 is an answer to assert on, not a crash
    return api


def test_usage_answers_2xx_or_4xx_for_any_number_or_date(client_api, sub_account):
    @EXAMPLES
    @given(body=events(sub_account))
    def check(body):
        response = client_api.post("/api/v1/usage", body, format="json")
        charge = _answered(response)
        if response.status_code < 300:
            _fits(charge)
        else:
            assert charge["error"]["fields"], charge
    check()
    _within_columns(sub_account)


def test_a_batch_answers_each_event_and_records_the_good_one(client_api, sub_account):
    @EXAMPLES
    @given(bad=st.lists(events(sub_account), min_size=1, max_size=4),
           where=st.integers(min_value=0, max_value=4))
    def check(bad, where):
        good = _good(sub_account)
        batch = [*bad]
        batch.insert(min(where, len(batch)), good)
        response = client_api.post("/api/v1/usage/batch", {"events": batch}, format="json")
        results = _answered(response)["results"]
        assert response.status_code == 200 and len(results) == len(batch)
        for result in results:
            assert result["status"] < 500, result
            if result["status"] < 300:
                _fits(result)
        assert results[batch.index(good)]["status"] == 201
        assert UsageCharge.objects.filter(idempotency_key=good["idempotency_key"]).exists()
    check()
    _within_columns(sub_account)


def test_quote_answers_2xx_or_4xx_for_any_number_or_date(client_api, sub_account):
    @EXAMPLES
    @given(body=events(sub_account))
    def check(body):
        del body["idempotency_key"]
        response = client_api.post("/api/v1/quote", body, format="json")
        quote = _answered(response)
        if response.status_code < 300:
            _fits(quote)
    check()
    assert not UsageCharge.objects.exists()
