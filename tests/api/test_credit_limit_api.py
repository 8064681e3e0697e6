"""Credit limits in the API (docs/api.md#credit-limit): the agency's default on `/agency`, the
client's own on `/subaccounts/{id}`, with the effective limit and the suspension's reason."""

import pytest
from moneyed import Money

from hoopbilling.models import AuditLog
from subaccounts.models import SubAccount
from tests.factories import AgencyFactory, SubAccountFactory
from wallets.usage.services import usage_record

pytestmark = pytest.mark.django_db


def test_a_new_agency_has_a_credit_limit_of_zero_and_sets_it(api):
    assert api.get("/api/v1/agency").json()["credit_limit"] == "0.00"
    response = api.patch("/api/v1/agency", {"credit_limit": "250.5"}, format="json")
    assert response.status_code == 200 and response.json()["credit_limit"] == "250.50"
    assert api.get("/api/v1/agency").json()["credit_limit"] == "250.50"
    audit = AuditLog.objects.get(action="agency.update")
    assert audit.before == {"credit_limit": "0.000000"}
    assert audit.after == {"credit_limit": "250.5"}


@pytest.mark.parametrize("value", ["-1", "abc", 1.5, "1000000000.01", "1.005", "1e3", True,
                                   None, [], ""])
def test_a_bad_agency_credit_limit_is_400_naming_the_field(api, value):
    response = api.patch("/api/v1/agency", {"credit_limit": value}, format="json")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and list(body["fields"]) == ["credit_limit"]
    assert api.get("/api/v1/agency").json()["credit_limit"] == "0.00"


def test_a_sub_account_shows_its_own_limit_the_effective_one_and_why_it_is_suspended(api):
    client = SubAccountFactory(agency=api.agency)
    data = api.get(f"/api/v1/subaccounts/{client.pk}").json()
    assert (data["credit_limit"], data["effective_credit_limit"]) == (None, "0.00")
    assert (data["suspended"], data["suspension_reason"]) == (False, None)
    # a charge past its limit of zero stops it
    usage_record(agency=api.agency, event={"sub_account": str(client.pk), "item": "sms_outbound",
                                           "idempotency_key": "k", "quantity": "1"})
    data = api.get(f"/api/v1/subaccounts/{client.pk}").json()
    assert (data["suspended"], data["suspension_reason"]) == (True, "credit_limit")
    listed = api.get("/api/v1/subaccounts").json()["results"]
    assert [row["suspension_reason"] for row in listed] == ["credit_limit"]


def test_patching_a_sub_accounts_credit_limit_and_back_to_the_agencys(api):
    api.agency.credit_limit = Money("30", "USD")
    api.agency.save()
    client = SubAccountFactory(agency=api.agency)
    response = api.patch(f"/api/v1/subaccounts/{client.pk}", {"credit_limit": "75"},
                         format="json")
    assert response.status_code == 200
    assert (response.json()["credit_limit"], response.json()["effective_credit_limit"]) == (
        "75.00", "75.00")
    assert AuditLog.objects.get(action="subaccount.update").after == {"credit_limit": "75"}
    response = api.patch(f"/api/v1/subaccounts/{client.pk}", {"credit_limit": None},
                         format="json")
    assert (response.json()["credit_limit"], response.json()["effective_credit_limit"]) == (
        None, "30.00")


@pytest.mark.parametrize("value", ["-0.01", "x", 2.5, "1000000001"])
def test_a_bad_sub_account_credit_limit_is_400_naming_the_field(api, value):
    client = SubAccountFactory(agency=api.agency)
    response = api.patch(f"/api/v1/subaccounts/{client.pk}", {"credit_limit": value},
                         format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["credit_limit"]
    client.refresh_from_db()
    assert client.credit_limit is None


def test_another_agencys_sub_account_is_404_and_its_limit_unchanged(api):
    other = SubAccountFactory(agency=AgencyFactory())
    response = api.patch(f"/api/v1/subaccounts/{other.pk}", {"credit_limit": "1000"},
                         format="json")
    assert response.status_code == 404
    assert api.get(f"/api/v1/subaccounts/{other.pk}").status_code == 404
    other.refresh_from_db()
    assert other.credit_limit is None


@pytest.mark.postgres  # flushing the ledger afterwards needs TRUNCATE (see test_journeys.py)
@pytest.mark.django_db(transaction=True)
def test_raising_a_stopped_clients_limit_answers_it_live_again(api):
    client = SubAccountFactory(agency=api.agency)
    usage_record(agency=api.agency, event={"sub_account": str(client.pk), "item": "sms_outbound",
                                           "idempotency_key": "k", "quantity": "100"})
    assert SubAccount.objects.get(pk=client.pk).suspended
    response = api.patch(f"/api/v1/subaccounts/{client.pk}", {"credit_limit": "5"},
                         format="json")
    assert (response.json()["suspended"], response.json()["suspension_reason"]) == (False, None)


def test_the_schema_describes_the_credit_limit_fields(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert {"credit_limit", "effective_credit_limit", "suspension_reason"} <= set(
        components["SubAccount"]["properties"])
    assert "credit_limit" in components["Agency"]["properties"]
    assert "credit_limit" in components["PatchedAgencyPatchRequest"]["properties"]
    assert "credit_limit" in components["PatchedSubAccountPatchRequest"]["properties"]
