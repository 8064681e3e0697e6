import pytest
from rest_framework.test import APIClient

from agencies.services import api_key_revoke
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db


def test_agency_endpoint_answers_for_the_key_holder_only():
    key = ApiKeyFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
    response = client.get("/api/v1/agency")
    assert response.status_code == 200
    assert response.json()["id"] == str(key.agency_id)
    key.refresh_from_db()
    assert key.last_used_at is not None


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer a b"])
def test_missing_or_bad_key_is_401_in_contract_shape(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/agency")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_revoked_key_is_401():
    key = ApiKeyFactory()
    api_key_revoke(key=key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
    assert client.get("/api/v1/agency").status_code == 401


def test_openapi_schema_is_served():
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
