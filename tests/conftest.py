import os
import uuid
from importlib import import_module

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations

# dj-stripe's own migrations take minutes (see DJSTRIPE_SKIP_MIGRATIONS in
# hoopbilling/settings.py): the test database skips them (an empty migrations package) and
# `django_db_setup` below creates its tables straight from its models once migrate is done.
settings.MIGRATION_MODULES = {**settings.MIGRATION_MODULES,
                              "djstripe": "tests.djstripe_schema.migrations"}

_postgres_sql_flush = PostgresOperations.sql_flush


def _sql_flush_past_truncate_guards(self, style, tables, **kwargs):
    """Django empties the test database after a transactional test with one TRUNCATE, which
    the append-only tables refuse (hoopbilling.sql.truncate_refused): the flush's own
    transaction runs with triggers off, as only a superuser may (the test database's is)."""
    statements = _postgres_sql_flush(self, style, tables, **kwargs)
    return ["SET LOCAL session_replication_role = replica", *statements] if statements else []


PostgresOperations.sql_flush = _sql_flush_past_truncate_guards


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.apps import apps

    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        for model in apps.get_app_config("djstripe").get_models():
            editor.create_model(model)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL. CI sets REQUIRE_POSTGRES=1: there a missing
    PostgreSQL is an error, never a quiet skip."""
    if connection.vendor == "postgresql":
        return
    needing = [item for item in items if item.get_closest_marker("postgres")]
    if needing and os.environ.get("REQUIRE_POSTGRES") == "1":
        raise pytest.UsageError(
            f"{len(needing)} tests need PostgreSQL but DATABASE_URL points at "
            f"{connection.vendor}; set DATABASE_URL=postgres://...")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in needing:
        item.add_marker(skip)


@pytest.fixture(autouse=True)
def _catalog_after_flush(request):
    """A transactional test starts after another one's flush emptied every table, including
    the catalog the data migration loaded: put the catalog back."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
        from subaccounts.pricing.models import BaseCost, BillableItem

        catalog_load = import_module("agencies.migrations.0002_catalog").catalog_load
        if BillableItem.objects.count() < 9:
            catalog_load(BillableItem, BaseCost)


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test gets an empty cache of its own. The configured one is Redis whenever the
    broker is (CI), shared by every test and keyed by ids the database hands out again, so
    one test's rate-limit counters and dedupe marks would leak into the next; clearing it
    instead would flush the broker's queues, which live in the same Redis database."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"test-{uuid.uuid4()}"}}


@pytest.fixture
def eager_celery():
    """Celery runs each task inline where it is queued."""
    from hoopbilling.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def ledger_checked():
    """Run `verify_ledger` over every wallet after the test."""
    yield
    from wallets.ledger.integrity import ledger_verify

    drifting = [c for c in ledger_verify() if not c.ok]
    assert not drifting, [c.problems for c in drifting]


@pytest.fixture(autouse=True)
def circuit_breakers_closed():
    """Each test starts with Redis trusted again: a test that took the cache or the broker
    away leaves its breaker open for a few seconds (hoopbilling.outages)."""
    from hoopbilling.outages import broker_breaker, cache_breaker

    cache_breaker.reset()
    broker_breaker.reset()
    yield
    cache_breaker.reset()
    broker_breaker.reset()


@pytest.fixture
def broker_down(monkeypatch):
    """Celery's broker does not answer (nothing listens on its port): queuing a task raises
    after kombu's few quick retries."""
    from hoopbilling.celery import app as celery_app
    from tests.wallets.payments.test_topups_celery import _reset_producers

    previous = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    # Celery reads CELERY_BROKER_URL before its own setting: both must name the broker.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app.conf.task_always_eager = False
    _reset_producers()
    yield
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous
    _reset_producers()


@pytest.fixture(scope="module")
def fake_stripe():
    """The fake Stripe HTTP server (tests/fakestripe), one per test module, on a free port;
    `fake_stripe.api_base` is its address."""
    from tests.fakestripe.server import serve

    fake, server = serve(0)
    fake.api_base = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()


@pytest.fixture
def stripe_on(settings, fake_stripe, monkeypatch):
    """Payments through the Stripe gateway: the official SDK talks to the fake server, and so
    do dj-stripe's own calls (they read `stripe.api_base`)."""
    import stripe

    settings.STRIPE_SECRET_KEY = "sk_test_fakeplatformkey000000000000"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fakepublishable000000000000"
    settings.STRIPE_API_BASE = fake_stripe.api_base
    monkeypatch.setattr(stripe, "api_base", fake_stripe.api_base)
    return fake_stripe


@pytest.fixture
def key():
    """A new agency's API key (`key.raw_key`, `key.agency`)."""
    from tests.factories import ApiKeyFactory

    return ApiKeyFactory()


@pytest.fixture
def api(key):
    """A REST client authenticated with `key`; `api.agency` is its agency."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
    client.agency = key.agency
    return client


@pytest.fixture
def operator():
    """A platform operator (staff and superuser); `ops` is a client signed in as one."""
    from tests.factories import UserFactory

    return UserFactory(username="ops@platform.test", is_staff=True, is_superuser=True)


@pytest.fixture
def ops(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def mail_server(settings):
    """A mail backend that is up; `mail_server.down = True` takes it down (every send raises)."""
    from tests.mailbackends import FlakyBackend

    settings.EMAIL_BACKEND = "tests.mailbackends.FlakyBackend"
    FlakyBackend.down = False
    yield FlakyBackend
    FlakyBackend.down = False
