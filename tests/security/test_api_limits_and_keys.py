"""API keys: hashed, shown by prefix, scoped to one agency, revocable, last use recorded; and
the per-key rate limit (429 `rate_limited` with Retry-After)."""

import hashlib
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import ApiKey
from agencies.services import api_key_revoke
from tests.factories import ApiKeyFactory, SubAccountFactory

pytestmark = pytest.mark.django_db


def _client(raw_key):
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}")


def test_key_is_stored_hashed_and_identified_by_its_prefix():
    key = ApiKeyFactory()
    stored = ApiKey.objects.get(pk=key.pk)
    assert key.raw_key not in {stored.key_hash, stored.prefix, stored.name}
    assert stored.key_hash == hashlib.sha256(key.raw_key.encode()).hexdigest()
    assert stored.prefix in key.raw_key and len(stored.prefix) < len(key.raw_key) // 4
    assert stored.prefix in str(stored)


def test_key_acts_for_its_own_agency_only():
    key = ApiKeyFactory()
    other = SubAccountFactory()
    assert _client(key.raw_key).get("/api/v1/agency").json()["id"] == str(key.agency.pk)
    response = _client(key.raw_key).get(f"/api/v1/subaccounts/{other.pk}/wallet")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_revoked_key_is_refused_at_once():
    key = ApiKeyFactory()
    assert _client(key.raw_key).get("/api/v1/agency").status_code == 200
    api_key_revoke(key=ApiKey.objects.get(pk=key.pk))
    response = _client(key.raw_key).get("/api/v1/agency")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer nope", "Basic abc:def",
                                    "Bearer \u00e9\u00e9"])
def test_missing_or_malformed_key_is_unauthenticated(header):
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/agency")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_last_use_is_recorded():
    key = ApiKeyFactory()
    assert ApiKey.objects.get(pk=key.pk).last_used_at is None
    before = timezone.now()
    _client(key.raw_key).get("/api/v1/agency")
    assert ApiKey.objects.get(pk=key.pk).last_used_at >= before


def test_each_key_has_its_own_rate_limit(settings):
    settings.API_RATE_LIMIT = "3/min"
    busy, quiet = ApiKeyFactory(), ApiKeyFactory()
    for _ in range(3):
        assert _client(busy.raw_key).get("/api/v1/agency").status_code == 200
    response = _client(busy.raw_key).get("/api/v1/agency")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 61
    assert _client(quiet.raw_key).get("/api/v1/agency").status_code == 200



@pytest.fixture
def redis_cache(settings):
    """The production cache (hoopbilling.cache) on the tests' Redis, under a prefix of its
    own (the other tests get a fresh in-memory cache each)."""
    url = settings.REDIS_URL or settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        pytest.skip("needs Redis (CI has it: CELERY_BROKER_URL)")
    settings.CACHES = {"default": {"BACKEND": "hoopbilling.cache.SharedClientRedisCache",
                                   "LOCATION": url, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    from django.core.cache import cache

    return cache


def test_window_counter_counts_in_one_expiring_key(redis_cache):
    assert [redis_cache.window_hit("window", 60) for _ in range(3)] == [1, 2, 3]
    assert redis_cache.get("window") == 3
    client = redis_cache._cache.get_client(write=True)
    assert 0 < client.ttl(redis_cache.make_key("window")) <= 60
    # One client for the process, not one per call.
    assert redis_cache._cache.get_client() is client


def test_rate_limit_on_redis(redis_cache, settings):
    settings.API_RATE_LIMIT = "2/min"
    key = ApiKeyFactory()
    assert [_client(key.raw_key).get("/api/v1/agency").status_code for _ in range(3)] == [
        200, 200, 429]
