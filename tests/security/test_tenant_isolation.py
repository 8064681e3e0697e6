"""Every URL the project serves, called by every role of a second tenant (and by nobody),
aimed at the first tenant's objects: the answer is 404 or 403 (or the login page), and not
one row changes.

The routes come from Django's URL resolver, so a route merged later is covered without
touching this file, as long as its URL keyword names something `KWARG_VALUES` (or
`SEGMENT_OBJECTS` for generic names such as `pk`) knows; otherwise the test fails and names
the route, so whoever adds it extends the map.
"""

import json
import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .conftest import MARKER_FIGURES, database_snapshot

pytestmark = pytest.mark.django_db

INTRUDER_ROLES = ("agency_admin", "agency_staff", "client_admin", "client_admin_no_billing",
                  "client_user")
# Pages have no API-key login: to them the key's bearer is anonymous.
SESSIONLESS = ("anonymous", "api_key")
API_METHODS = ("get", "post", "put", "patch", "delete")
# A page without an object in its URL is also fetched as each of the exports pages offer.
EXPORTS = ("", "?export=csv", "?format=csv", "?export=clients", "?export=items")
PAGE_METHODS = ("get", "post")
# A body any write endpoint could act on, were it to reach the first tenant's object.
WRITE_BODY = {"name": "Hijacked", "price": "1.00", "amount": "10.00", "subsidize": True,
              "payment_method": "pm_card_visa", "auto_topup": {"enabled": True},
              "rebilling_enabled": False, "itemised_usage_visible": True,
              "confirm": "yes", "multiplier": "2"}


def _victim_objects(victim) -> dict:
    from wallets.alerts.models import SpendAlert
    from wallets.payments.models import Notification

    return {"sub_account": str(victim.sub_account.pk), "topup": str(victim.topup.pk),
            "invoice": str(victim.invoice.pk), "api_key": str(victim.api_key.pk),
            "spend_alert": str(SpendAlert.objects.filter(settings__agency=victim.agency)
                               .first().pk),
            "notification": str(Notification.objects.filter(agency=victim.agency).first().pk),
            "webhook_endpoint": str(victim.webhook_endpoint.pk),
            "webhook_delivery": str(victim.webhook_delivery.pk)}


# URL keyword -> what fills it. Tenant objects are the first tenant's; the rest are public.
KWARG_VALUES = {
    "sub_account_id": ("tenant", "sub_account"),
    "topup_id": ("tenant", "topup"),
    "alert_id": ("tenant", "spend_alert"),
    "endpoint_id": ("tenant", "webhook_endpoint"),
    "delivery_id": ("tenant", "webhook_delivery"),
    "item": ("public", "sms_outbound"),
    # dj-stripe's webhook endpoint: signed by Stripe, named by its own random id
    "uuid": ("public", "00000000-0000-4000-8000-000000000000"),
    # the card link's page: no login, the signed token is the key (a forged one finds nothing)
    "token": ("public", "forged:token:link"),
}
# Generic keywords (`pk`, `id`) are named by the path segment before them.
GENERIC_KWARGS = {"pk", "id"}
SEGMENT_OBJECTS = {"clients": "sub_account", "subaccounts": "sub_account",
                   "topups": "topup", "invoices": "invoice", "keys": "api_key",
                   "notifications": "notification", "webhook-endpoints": "webhook_endpoint"}
# Django's own routes: the password-reset link and the operators' admin.
AUTH_KWARGS = {"uidb64": urlsafe_base64_encode(force_bytes(1)), "token": "set-password"}
ADMIN_KWARGS = {"url": "no-such-page/"}


@dataclass
class Route:
    name: str
    template: str


def _pattern_text(pattern) -> str:
    text = str(pattern)
    if hasattr(pattern, "regex") and not hasattr(pattern, "_route"):
        text = text.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    return text


def all_routes(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from all_routes(entry, prefix + _pattern_text(entry.pattern), inner)
        else:
            name = f"{namespace}{entry.name}" if entry.name else f"{namespace}<unnamed>"
            yield Route(name, prefix + _pattern_text(entry.pattern))


KWARG_RE = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def build_url(route: Route, victim) -> tuple[str, bool]:
    """The route's URL aimed at the first tenant, and whether it names a tenant object."""
    objects = _victim_objects(victim)
    targets_tenant = False

    def fill(match):
        nonlocal targets_tenant
        kwarg = match.group(1) or match.group(2)
        before = route.template[:match.start()].rstrip("/").rsplit("/", 1)[-1]
        if route.name.startswith("admin:"):
            if kwarg == "app_label":
                choices = re.search(r"\(\?P<app_label>([^)]*)\)", match.group(0))
                return choices.group(1).split("|")[0]
            # every admin page refuses non-staff alike, whatever object it names
            return ADMIN_KWARGS.get(kwarg, "1")
        if kwarg in AUTH_KWARGS and route.template.startswith("accounts/"):
            return AUTH_KWARGS[kwarg]
        if kwarg in GENERIC_KWARGS and before in SEGMENT_OBJECTS:
            targets_tenant = True
            return objects[SEGMENT_OBJECTS[before]]
        if kwarg in KWARG_VALUES:
            kind, value = KWARG_VALUES[kwarg]
            if kind == "tenant":
                targets_tenant = True
                return objects[value]
            return value
        pytest.fail(f"route {route.name!r} ({route.template}): no value for <{kwarg}>; "
                    "extend KWARG_VALUES or SEGMENT_OBJECTS in "
                    "tests/security/test_tenant_isolation.py")

    path = KWARG_RE.sub(fill, route.template)
    return "/" + path, targets_tenant


def _callers(intruder) -> dict[str, Client]:
    callers = {"anonymous": Client()}
    for role in INTRUDER_ROLES:
        client = Client()
        client.force_login(intruder.users[role])
        callers[role] = client
    callers["api_key"] = Client(HTTP_AUTHORIZATION=f"Bearer {intruder.api_key.raw_key}")
    return callers


def _call(client: Client, method: str, url: str):
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    if url.startswith("/api/"):
        return getattr(client, method)(url, json.dumps(WRITE_BODY),
                                       content_type="application/json")
    return getattr(client, method)(url, {k: v for k, v in WRITE_BODY.items()
                                         if not isinstance(v, dict)})


def _is_login_redirect(response, login_url=None) -> bool:
    return (response.status_code == 302
            and response["Location"].startswith(login_url or settings.LOGIN_URL))


def _victim_markers(victim) -> list[str]:
    return [victim.agency.name, victim.sub_account.name, str(victim.sub_account.pk),
            *MARKER_FIGURES]


def _body(response) -> str:
    content = (b"".join(response.streaming_content) if response.streaming
               else response.content)
    return content.decode("utf-8", "replace")


def test_routes_are_found_in_the_resolver():
    names = {route.name for route in all_routes()}
    # The walk sees pages, API and admin alike (a broken walk would cover nothing).
    assert {"subaccounts:billing", "api-wallet", "admin:index", "login"} <= names


def test_second_tenant_reaches_nothing_of_the_first(victim, intruder):
    # given every caller of the second tenant, logged in, and the database as it is
    callers = _callers(intruder)
    before = database_snapshot()
    failures = []
    checked_tenant_routes = 0

    # when each calls every route aimed at the first tenant
    for route in all_routes():
        url, targets_tenant = build_url(route, victim)
        is_api = route.template.startswith("api/")
        is_admin = route.name.startswith("admin:")
        for caller_name, client in callers.items():
            if is_admin and route.name not in ("admin:login", "admin:logout"):
                # the operators' admin: nobody of a tenant is staff
                for method in PAGE_METHODS:
                    response = _call(client, method, url)
                    if not _is_login_redirect(response, "/admin/login/"):
                        failures.append((caller_name, method, url, response.status_code))
                continue
            if not targets_tenant:
                # a route about the caller's own things: it may answer (as a page or as its
                # CSV export), never with the first tenant's data, and never crash
                for export in EXPORTS:
                    response = client.get(url + export)
                    leaked = [m for m in _victim_markers(victim) if m in _body(response)]
                    if response.status_code >= 500 or leaked:
                        failures.append((caller_name, "get", url + export,
                                         response.status_code, leaked))
                continue
            checked_tenant_routes += 1
            statuses = {}
            for method in (API_METHODS if is_api else PAGE_METHODS):
                response = _call(client, method, url)
                statuses[method] = response.status_code
                if caller_name in SESSIONLESS and not is_api:
                    ok = _is_login_redirect(response)
                elif is_api and caller_name != "api_key":
                    ok = response.status_code in (401, 403, 404, 405)
                else:
                    ok = response.status_code in (403, 404, 405)
                if not ok:
                    failures.append((caller_name, method, url, response.status_code))
            refusing_caller = caller_name == "api_key" if is_api else (
                caller_name not in SESSIONLESS)
            if refusing_caller and not {403, 404} & set(statuses.values()):
                failures.append((caller_name, "any", url, statuses))

    # then every answer refused, and nothing changed
    assert not failures, "\n".join(map(str, failures))
    assert checked_tenant_routes > 0
    assert database_snapshot() == before
