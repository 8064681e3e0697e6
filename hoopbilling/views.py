"""Platform-level pages: the landing page after login, the health check, and the error
handlers."""

import logging
import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from hoopbilling.celery import app as celery_app
from hoopbilling.errors import API_PREFIX, error_body
from hoopbilling.outages import (
    DATABASE_ERRORS,
    REDIS_ERRORS,
    database_unavailable,
    fallbacks,
    is_database_unavailable,
)

logger = logging.getLogger(__name__)


@login_required
def home(request):
    user = request.user
    context = {
        "agency_memberships": user.agency_memberships.select_related("agency"),
        "client_memberships": user.client_memberships.select_related("sub_account__agency"),
    }
    return render(request, "home.html", context)


# Seconds the health check waits for the broker to answer.
BROKER_CHECK_TIMEOUT = 2


@require_safe
def healthz(request):
    """Each dependency's state, and the fallbacks this process answered since it started.

    200 `ok`; 200 `degraded` when the cache or the broker is down (usage is still recorded
    and answered; rate limits and follow-ups wait for them); 503 `down` when the database
    is, since nothing can be served without it. A dependency that is not a server (the
    in-process cache and the filesystem broker of `make run`) is `local`."""
    checks = {"database": _database_check(), "cache": _cache_check(),
              "broker": _broker_check()}
    if checks["database"] != "ok":
        status = "down"
    elif "down" in checks.values():
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse({"status": status, "checks": checks, "fallbacks": dict(fallbacks)},
                        status=503 if status == "down" else 200)


def _database_check() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DATABASE_ERRORS as exc:
        logger.warning("health check: database down: %s", exc)
        return "down"
    return "ok"


def _cache_check() -> str:
    ping = getattr(cache, "ping", None)  # hoopbilling.cache's Redis; None for local memory
    if ping is None:
        return "local"
    try:
        ping()
    except REDIS_ERRORS as exc:
        logger.warning("health check: cache down: %s", exc)
        return "down"
    return "ok"


def _broker_check() -> str:
    if not str(settings.CELERY_BROKER_URL).startswith("redis"):
        return "local"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_CHECK_TIMEOUT)
            conn.default_channel.client.ping()
    except REDIS_ERRORS as exc:
        logger.warning("health check: broker down: %s", exc)
        return "down"
    return "ok"


@csrf_exempt  # like every API view: a key, not a session, authenticates the API
def api_not_found(request):
    return JsonResponse(error_body("not_found", "No such resource."), status=404)


def server_error(request):
    """Django's 500 handler, called while the exception is being handled: a database that
    cannot be reached (raised outside a view, by a middleware) still answers 503."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        return database_unavailable(request, exc)
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body("internal_error", "Something went wrong on our side."),
                            status=500)
    return defaults.server_error(request)
