"""Django's Redis cache with one client per server for the process, a one-round-trip counter
for fixed windows, and every call failing open when Redis is down.

Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache call; its
constructor registers some 170 response callbacks, about a twentieth of the CPU of a usage
event that makes three cache calls. A `redis.Redis` is safe to share between threads (each
command borrows a connection from the pool), and the pool reconnects after a fork.

Nothing kept here is needed for money to move (rate-limit counters, the auto top-up gate,
dedupe marks whose guarantee is a database constraint), so a Redis that is down or slow
answers as an empty cache would (`hoopbilling.outages.fail_open`: logged, counted, and
skipped for a few seconds by the cache's circuit breaker): a read misses, an `add` succeeds,
a write is dropped, a window counter counts nothing. The connect and read timeouts in
`settings.CACHES` keep one slow call short.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from hoopbilling.outages import cache_breaker, fail_open


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write))
        return client

    # Each call as an empty cache would answer it when Redis is down.
    def add(self, key, value, timeout):
        return fail_open(cache_breaker, True, "cache add", super().add, key, value, timeout)

    def get(self, key, default):
        return fail_open(cache_breaker, default, "cache get", super().get, key, default)

    def set(self, key, value, timeout):
        return fail_open(cache_breaker, None, "cache set", super().set, key, value, timeout)

    def touch(self, key, timeout):
        return fail_open(cache_breaker, False, "cache touch", super().touch, key, timeout)

    def delete(self, key):
        return fail_open(cache_breaker, False, "cache delete", super().delete, key)

    def get_many(self, keys):
        return fail_open(cache_breaker, {}, "cache get_many", super().get_many, keys)

    def has_key(self, key):
        return fail_open(cache_breaker, False, "cache has_key", super().has_key, key)

    def incr(self, key, delta):
        return fail_open(cache_breaker, delta, "cache incr", super().incr, key, delta)

    def set_many(self, data, timeout):
        return fail_open(cache_breaker, [], "cache set_many", super().set_many, data, timeout)

    def delete_many(self, keys):
        return fail_open(cache_breaker, None, "cache delete_many", super().delete_many, keys)

    def clear(self):
        return fail_open(cache_breaker, False, "cache clear", super().clear)

    def window_hit(self, key: str, timeout: int) -> int:
        return fail_open(cache_breaker, 0, "rate-limit count", self._window_hit, key, timeout)

    def _window_hit(self, key: str, timeout: int) -> int:
        client = self.get_client(key, write=True)
        with client.pipeline(transaction=False) as pipe:
            pipe.set(key, 0, ex=timeout, nx=True)
            pipe.incr(key)
            return pipe.execute()[1]


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    def window_hit(self, key: str, timeout: int) -> int:
        """Count one hit on `key`, created with `timeout` seconds to live if it is new, and
        return the count (0 when Redis is down: nothing is limited then): SET NX then INCR,
        pipelined. (Django's add and incr would be three round trips, incr itself being an
        EXISTS then an INCR.)"""
        return self._cache.window_hit(self.make_and_validate_key(key), timeout)

    def ping(self) -> bool:
        """Whether Redis answers now (the health check), breaker or not."""
        return bool(self._cache.get_client(write=True).ping())
