"""`/agency`: the agency's own settings in the REST API (docs/api.md)."""

import pytest
from rest_framework.test import APIClient

from hoopbilling.models import AuditLog
from tests.factories import AgencyFactory, ApiKeyFactory

pytestmark = pytest.mark.django_db


def test_patch_agency_changes_toggles_and_name(api, key):
    response = api.patch("/api/v1/agency", {"rebilling_enabled": False, "name": "Renamed",
                                            "retry_schedule_hours": [0, 12]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["rebilling_enabled"], body["name"], body["retry_schedule_hours"]) == (
        False, "Renamed", [0, 12])
    assert AuditLog.objects.get(action="agency.update").actor_label == f"api-key:{key.prefix}"


@pytest.mark.parametrize(("body", "field"), [
    ({"retry_schedule_hours": "soon"}, "retry_schedule_hours"),
    ({"rebilling_enabled": "yes"}, "rebilling_enabled"),
    ({"currency": "EUR"}, "currency"),
    ({"name": ""}, "name"),
    ({"agency": "another"}, "agency"),  # names the service's own arguments use
    ({"actor_label": "someone"}, "actor_label"),
    ({"actor": 1}, "actor"),
])
def test_patch_agency_bad_input_is_400(api, key, body, field):
    response = api.patch("/api/v1/agency", body, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    key.agency.refresh_from_db()
    assert key.agency.rebilling_enabled is True and key.agency.currency == "USD"


def test_patch_agency_cannot_enable_rebilling_off_plan():
    key = ApiKeyFactory(agency=AgencyFactory(plan_rebilling_allowed=False,
                                             rebilling_enabled=False))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
    response = client.patch("/api/v1/agency", {"rebilling_enabled": True}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "plan_does_not_allow_rebilling"
