"""Rate limits kept in the cache (Redis in production, so every web process shares them).

- `ApiKeyRateThrottle`: DRF throttle for every API view, keyed by the API key's prefix, at
  `settings.API_RATE_LIMIT` ("1200/min"), counted in fixed windows. DRF raises `Throttled`;
  `hoopbilling.api` answers 429 `rate_limited` with `Retry-After`. (DRF's own
  `SimpleRateThrottle` keeps a list of every request's time in the window and reads and
  writes it whole on each request: up to 1,200 timestamps per usage event.)
- `WindowCounter`: fixed-window counters, for the API keys and for failed logins per account
  and per address (`hoopbilling.security`). Kept apart from DRF's settings because
  `rest_framework.views` imports this module while it loads (it is a default throttle class).

With Redis down the limits fail open: the cache (`hoopbilling.cache`) counts nothing and reads
nothing, so every request is let through (logged and counted, `hoopbilling.outages`) rather
than refused: a rate limit protects the service, and is never worth an outage of its own.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle


def _parse_rate(rate: str) -> tuple[int, int]:
    """DRF's rate format: "1200/min" → (1200, 60); the period's first letter counts."""
    count, period = rate.split("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


class ApiKeyRateThrottle(BaseThrottle):
    def __init__(self):
        self.counter: WindowCounter | None = None

    def allow_request(self, request, view):
        key = getattr(request.user, "key", None)
        if key is None:  # not an API-key caller (the public schema): not throttled here
            return True
        # Read on every request (not frozen at import) so deployments and tests can change it.
        limit, window = _parse_rate(settings.API_RATE_LIMIT)
        self.counter = WindowCounter(scope="api-key", limit=limit, window=window)
        return self.counter.hit(key.prefix) <= limit

    def wait(self):
        return self.counter.retry_after() if self.counter else None


@dataclass(frozen=True)
class WindowCounter:
    """At most `limit` events per `window` seconds for each identity of one `scope`."""

    scope: str
    limit: int
    window: int

    def _key(self, identity: str, now: float) -> str:
        digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"ratelimit:{self.scope}:{digest}:{int(now // self.window)}"

    def count(self, identity: str) -> int:
        return cache.get(self._key(identity, time.time()), 0)

    def hit(self, identity: str) -> int:
        key = self._key(identity, time.time())
        window_hit = getattr(cache, "window_hit", None)  # Redis (hoopbilling.cache): one trip
        if window_hit is not None:
            return window_hit(key, self.window)
        cache.add(key, 0, timeout=self.window)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=self.window)
            return 1

    def reset(self, identity: str) -> None:
        cache.delete(self._key(identity, time.time()))

    def blocked(self, identity: str) -> bool:
        return self.count(identity) >= self.limit

    def retry_after(self) -> int:
        """Seconds until the current window ends."""
        now = time.time()
        return max(1, math.ceil((math.floor(now / self.window) + 1) * self.window - now))
