"""What the application does when one of its dependencies is down.

Redis is an accelerator, never a single point of failure for money: the rate limits, the
auto top-up and alerts check gates live in the cache, and the follow-up work of a
debit (the auto top-up check, the alerts check, a top-up's attempt, a Stripe event) is enqueued on
the broker after the commit. Every such call *fails open*: the request goes on as if the
cache were empty (no limit counted, no dedupe mark) or as if the enqueue had happened, and
the billing jobs, which find their work from rows (`wallets.payments.jobs`), pick up what
was not enqueued. Each failure is logged and counted (`fallbacks`, shown by `/healthz`).

A `CircuitBreaker` per dependency keeps a dead Redis from costing every request a connect
timeout: after a connection failure the dependency is skipped for `BREAKER_COOLDOWN`
seconds, then tried again by the next call.

PostgreSQL cannot be skipped: a request that cannot reach it answers 503
`service_unavailable` with `Retry-After` (`database_unavailable`, used by the API's exception
handler, `DatabaseUnavailableMiddleware` for pages and the 500 handler in
`hoopbilling.views`). Every write is in a transaction, so nothing is half-written.
"""

import logging
import threading
import time
from collections import Counter

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hoopbilling.errors import API_PREFIX, error_body

logger = logging.getLogger(__name__)

# Seconds a dependency is skipped after a connection failure.
BREAKER_COOLDOWN = 5.0
# Seconds a client is asked to wait when the database cannot be reached.
RETRY_AFTER_SECONDS = 5

# What a Redis (cache or broker) that is down or too slow raises.
REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, BrokerOperationalError,
                ConnectionError, TimeoutError)
# What Django raises when the database cannot be reached (or drops the connection, or gives
# up on a lock or a serialisable transaction: each worth a retry, none half-written).
DATABASE_ERRORS = (OperationalError, InterfaceError)

# Per process, since it started: how many calls each dependency answered with a fallback.
fallbacks: Counter[str] = Counter()
_fallbacks_lock = threading.Lock()


class CircuitBreaker:
    """Skip a dependency for `cooldown` seconds after it failed. Shared by the threads of a
    process; a race lets at most a few extra calls through, which is harmless."""

    def __init__(self, name: str, *, cooldown: float = BREAKER_COOLDOWN):
        self.name = name
        self.cooldown = cooldown
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self, exc: BaseException, *, doing: str) -> None:
        was_closed = not self.is_open
        self._open_until = time.monotonic() + self.cooldown
        if was_closed:
            logger.warning("%s unavailable (%s: %s); skipping it for %.0f s",
                           self.name, doing, exc, self.cooldown)

    def reset(self) -> None:
        self._open_until = 0.0


cache_breaker = CircuitBreaker("cache")
broker_breaker = CircuitBreaker("broker")


def fallback_count(dependency: str) -> None:
    with _fallbacks_lock:
        fallbacks[dependency] += 1


def fail_open(breaker: CircuitBreaker, fallback, doing: str, call, *args, **kwargs):
    """`call(*args, **kwargs)`, or `fallback` (logged and counted) when the dependency is down
    or was found down less than its cooldown ago."""
    if breaker.is_open:
        fallback_count(breaker.name)
        return fallback
    try:
        return call(*args, **kwargs)
    except REDIS_ERRORS as exc:
        breaker.trip(exc, doing=doing)
        fallback_count(breaker.name)
        return fallback


def task_enqueue(task, *args) -> None:
    """Send a Celery task, unless the broker is down: then log and count it and go on. Only
    for work the billing jobs also find from rows (auto top-up checks, top-up attempts,
    Stripe events), so a lost enqueue only makes the work wait for the next run."""
    if not fail_open(broker_breaker, False, f"enqueue {task.name}", _send, task, args):
        logger.warning("%s%r not enqueued (broker down): the billing jobs will pick it up",
                       task.name, args)


def _send(task, args) -> bool:
    task.delay(*args)
    return True


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


UNAVAILABLE_MESSAGE = "The service is temporarily unavailable; try again shortly."


def database_unavailable(request, exc: BaseException) -> HttpResponse:
    """503 with Retry-After: the API's error body under /api/, a page that reads nothing
    elsewhere. Logged as a warning: the outage is the operator's news, not a bug."""
    fallback_count("database")
    logger.warning("database unavailable for %s %s: %s", request.method, request.path, exc)
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(error_body("service_unavailable", UNAVAILABLE_MESSAGE),
                                status=503)
    else:
        response = HttpResponse(
            render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A view that could not reach the database answers 503 (`database_unavailable`) instead
    of 500. Errors raised by other middleware reach `hoopbilling.views.server_error`, which
    answers the same."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if is_database_unavailable(exc):
            return database_unavailable(request, exc)
        return None
