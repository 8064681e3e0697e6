"""Fixtures for the wallet tests: every test that asks ends with a clean ledger
(`verify_ledger`). Celery's inline mode (`eager_celery`) is in tests/conftest.py."""

import pytest


@pytest.fixture
def ledger_checked(request):
    """Run `verify_ledger` over every wallet after the test."""
    yield
    from wallets.ledger.integrity import ledger_verify

    drifting = [c for c in ledger_verify() if not c.ok]
    assert not drifting, [c.problems for c in drifting]
