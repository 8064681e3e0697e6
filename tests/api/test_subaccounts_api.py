"""POST/GET /subaccounts and GET/PATCH /subaccounts/{id} (docs/api.md#sub-accounts)."""

import pytest

from hoopbilling.models import AuditLog
from tests.factories import SubAccountFactory
from wallets.ledger.models import Wallet

pytestmark = pytest.mark.django_db


def test_create_answers_201_with_the_contract_defaults_and_opens_a_wallet(api):
    response = api.post("/api/v1/subaccounts", {"name": "Acme Dental", "external_id": "crm-7"},
                        format="json")
    assert response.status_code == 201
    body = response.json()
    assert body.pop("id")
    assert body == {"name": "Acme Dental", "external_id": "crm-7", "rebilling_enabled": True,
                    "suspended": False, "suspension_reason": None,
                    "itemised_usage_visible": True, "credit_limit": None,
                    "effective_credit_limit": "0.00"}
    wallet = Wallet.objects.get(sub_account__name="Acme Dental")
    assert (wallet.balance.amount, wallet.currency, wallet.auto_topup_enabled) == (0, "USD",
                                                                                   False)


@pytest.mark.parametrize(("body", "field"), [
    ({}, "name"), ({"name": "  "}, "name"), ({"name": 5}, "name"),
    ({"name": "A", "external_id": 7}, "external_id"), ({"name": "A", "colour": "x"}, "colour"),
])
def test_create_refuses_bad_input_naming_the_field(api, body, field):
    response = api.post("/api/v1/subaccounts", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_duplicate_external_id_is_refused(api):
    SubAccountFactory(agency=api.agency, external_id="crm-1")
    response = api.post("/api/v1/subaccounts", {"name": "B", "external_id": "crm-1"},
                        format="json")
    assert response.status_code == 400
    assert "external_id" in response.json()["error"]["fields"]


def test_list_is_paginated_and_shows_only_the_agencys_clients(api):
    for n in range(3):
        SubAccountFactory(agency=api.agency, name=f"Client {n}")
    SubAccountFactory(name="Someone else's")
    body = api.get("/api/v1/subaccounts", {"page_size": 2}).json()
    assert body["count"] == 3
    assert [row["name"] for row in body["results"]] == ["Client 0", "Client 1"]
    assert body["next"]


def test_patch_changes_the_switches_and_writes_an_audit_row(api):
    sub_account = SubAccountFactory(agency=api.agency)
    response = api.patch(f"/api/v1/subaccounts/{sub_account.pk}", {
        "rebilling_enabled": False, "itemised_usage_visible": False, "name": "Renamed"},
        format="json")
    assert response.status_code == 200
    assert response.json()["rebilling_enabled"] is False
    assert api.get(f"/api/v1/subaccounts/{sub_account.pk}").json()["name"] == "Renamed"
    assert AuditLog.objects.filter(action="subaccount.update").count() == 1


@pytest.mark.parametrize(("body", "field"), [({"rebilling_enabled": "no"}, "rebilling_enabled"),
                                             ({"name": ""}, "name"),
                                             ({"suspended": False}, "suspended"),
                                             ({"sub_account": "x"}, "sub_account"),
                                             ({"actor_label": "x"}, "actor_label"),
                                             ({"actor": 1}, "actor")])
def test_patch_refuses_bad_input_naming_the_field(api, body, field):
    sub_account = SubAccountFactory(agency=api.agency)
    response = api.patch(f"/api/v1/subaccounts/{sub_account.pk}", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_another_agencys_sub_account_is_404(api):
    stranger = SubAccountFactory()
    assert api.get(f"/api/v1/subaccounts/{stranger.pk}").status_code == 404
    response = api.patch(f"/api/v1/subaccounts/{stranger.pk}", {"name": "Mine"},
                         format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    stranger.refresh_from_db()
    assert stranger.name != "Mine"
