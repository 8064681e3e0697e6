"""Fixtures for the payment tests: Celery runs tasks inline, every test ends with a clean
ledger (`verify_ledger`)."""

import pytest

from hoopbilling.celery import app as celery_app


@pytest.fixture
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def ledger_checked(request):
    """Run `verify_ledger` over every wallet after the test."""
    yield
    from wallets.ledger.integrity import ledger_verify

    drifting = [c for c in ledger_verify() if not c.ok]
    assert not drifting, [c.problems for c in drifting]
