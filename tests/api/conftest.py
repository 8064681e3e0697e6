"""An API client authenticated with a new agency's key (`api.agency`), and a client of it."""

import pytest
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory, SubAccountFactory


@pytest.fixture
def api():
    key = ApiKeyFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
    client.agency = key.agency
    return client


@pytest.fixture
def sub_account(api):
    return SubAccountFactory(agency=api.agency)
