"""A client of the agency whose key the `api` fixture (tests/conftest.py) uses."""

import pytest

from tests.factories import SubAccountFactory


@pytest.fixture
def sub_account(api):
    return SubAccountFactory(agency=api.agency)
