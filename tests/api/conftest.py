"""A client of the agency whose key the `api` fixture (tests/conftest.py) uses."""

import pytest
from moneyed import Money

from tests.factories import OPEN_CREDIT, SubAccountFactory


@pytest.fixture
def sub_account(api):
    """Its agency gives room below zero: these tests are about other things than the credit
    limit, which stops a client at zero by default (tests/wallets/usage/test_credit_limit.py)."""
    api.agency.credit_limit = Money(OPEN_CREDIT, api.agency.currency)
    api.agency.save(update_fields=["credit_limit"])
    return SubAccountFactory(agency=api.agency)
