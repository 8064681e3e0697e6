"""The webhook pages: the agency's endpoints (add one, its secret shown once, rotate it,
enable, disable, delete, send a test event) and each endpoint's delivery log (filters, CSV,
one delivery's attempts and payload, resend).

Agency members see them; admins change them (`agency_member_required(admin=True)`); a
client's members have no agency membership, so every page is a 404 to them. Every endpoint
and delivery is looked up from `request.agency`, so another agency's is a 404. The pages
hold no rule of their own: each change is a `wallets.webhooks.services` call, which checks
the URL and writes the audit row (but for the test event, whose service takes no actor: that
page writes its audit row around the call).

A new or rotated secret is shown once: the service's answer is kept in the session only
until the next page shows it (`_secret_keep` / `_secret_take`), so a reload, the back
button or another page never shows it again.
"""

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from agencies.tenancy import agency_member_required, is_admin
from hoopbilling.encryption import decrypt, encrypt
from hoopbilling.errors import DomainError
from hoopbilling.exports import csv_download
from hoopbilling.forms import domain_error_show
from subaccounts.models import SubAccount
from wallets.webhooks import selectors, services
from wallets.webhooks.delivery import body_of
from wallets.webhooks.forms import DeliveryFilterForm, EndpointForm
from wallets.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from wallets.webhooks.tables import CSV_HEADER, DeliveryTable, csv_row

PAGE_SIZE = 25
SECRET_SESSION_KEY = "webhook_secret_once"


def _endpoint(request, endpoint_id) -> WebhookEndpoint:
    return get_object_or_404(selectors.agency_endpoints(request.agency), pk=endpoint_id)


def _last_delivery(endpoint_ref):
    return (WebhookDelivery.objects.filter(endpoint=endpoint_ref)
            .exclude(attempts=0).order_by("-updated_at", "-pk"))


def _secret_keep(request, endpoint: WebhookEndpoint, secret: str) -> None:
    # Encrypted like the endpoint's own column: the session row is in the database too.
    request.session[SECRET_SESSION_KEY] = {"endpoint": endpoint.pk, "secret": encrypt(secret)}


def _secret_take(request, endpoint: WebhookEndpoint) -> str | None:
    kept = request.session.pop(SECRET_SESSION_KEY, None)
    if kept and kept["endpoint"] == endpoint.pk:
        return decrypt(kept["secret"])
    return None


@agency_member_required
def endpoint_list(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST":
        if not is_admin(request):
            raise Http404("Only agency admins add endpoints.")
        if form.is_valid():
            try:
                endpoint, secret = services.webhook_endpoint_create(
                    agency=request.agency, url=form.cleaned_data["url"],
                    events=form.event_list(), actor=request.user)
            except DomainError as exc:
                domain_error_show(form, exc, fallback="url")
            else:
                _secret_keep(request, endpoint, secret)
                messages.success(request, f"Endpoint {endpoint.url} added.")
                return redirect("webhooks:secret", endpoint_id=endpoint.pk)
    last = _last_delivery(OuterRef("pk"))
    endpoints = (selectors.agency_endpoints(request.agency)
                 .annotate(last_status=Subquery(last.values("status")[:1]),
                           last_status_code=Subquery(last.values("last_status_code")[:1]),
                           last_at=Subquery(last.values("updated_at")[:1])))
    return render(request, "wallets/webhooks/endpoints.html", {
        "endpoints": endpoints, "form": form, "is_admin": is_admin(request)})


@agency_member_required(admin=True)
@never_cache
def endpoint_secret(request, endpoint_id):
    """The secret of an endpoint just added or rotated, once (not kept by the browser's cache
    either, so the back button does not show it again)."""
    endpoint = _endpoint(request, endpoint_id)
    return render(request, "wallets/webhooks/secret.html", {
        "endpoint": endpoint, "secret": _secret_take(request, endpoint)})


@agency_member_required(admin=True)
def endpoint_rotate(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    if request.method == "POST":
        secret = services.webhook_endpoint_rotate(endpoint=endpoint, actor=request.user)
        _secret_keep(request, endpoint, secret)
        messages.success(request, "New secret made: both secrets sign until "
                                  f"{endpoint.previous_secret_expires_at:%Y-%m-%d %H:%M} UTC.")
        return redirect("webhooks:secret", endpoint_id=endpoint.pk)
    return render(request, "confirm.html", {
        "title": f"Rotate the secret of {endpoint.url}?",
        "text": ("A new secret is made and shown once. For the next 24 hours each event "
                 "carries two signatures, one with each secret, so your receiver can switch "
                 "without refusing one; then the old secret stops signing."),
        "button": "Rotate the secret", "danger": False,
        "back": reverse("webhooks:list")})


@agency_member_required(admin=True)
@require_POST
def endpoint_enable(request, endpoint_id):
    endpoint = services.webhook_endpoint_set_enabled(
        endpoint=_endpoint(request, endpoint_id), enabled=True, actor=request.user)
    messages.success(request, f"{endpoint.url} is enabled: new events are delivered to it.")
    return redirect("webhooks:list")


@agency_member_required(admin=True)
def endpoint_disable(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    if request.method == "POST":
        services.webhook_endpoint_set_enabled(endpoint=endpoint, enabled=False,
                                              actor=request.user)
        messages.success(request, f"{endpoint.url} is disabled: no event is sent to it.")
        return redirect("webhooks:list")
    return render(request, "confirm.html", {
        "title": f"Disable {endpoint.url}?",
        "text": ("Events that happen while it is disabled are not sent to it. You can "
                 "enable it again here."),
        "button": "Disable the endpoint", "danger": True, "back": reverse("webhooks:list")})


@agency_member_required(admin=True)
def endpoint_delete(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    if request.method == "POST":
        services.webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
        messages.success(request, f"Endpoint {endpoint.url} deleted.")
        return redirect("webhooks:list")
    return render(request, "confirm.html", {
        "title": f"Delete {endpoint.url}?",
        "text": ("No event is sent to it any more, pending retries included, and its "
                 "delivery log is deleted with it."),
        "button": "Delete the endpoint", "danger": True, "back": reverse("webhooks:list")})


@agency_member_required(admin=True)
@require_POST
def endpoint_test(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    delivery = services.webhook_test_event(endpoint=endpoint, actor=request.user)
    messages.success(request, f"Test event {delivery.event_id} sent to {endpoint.url}: its "
                              "delivery is listed below.")
    return redirect("webhooks:log", endpoint_id=endpoint.pk)


def _deliveries(endpoint: WebhookEndpoint, filters: dict):
    """The log under the page's filters, each row with its last attempt's latency."""
    last_attempt = WebhookAttempt.objects.filter(delivery=OuterRef("pk")).order_by("-number")
    rows = (selectors.endpoint_deliveries(endpoint, status=filters.get("status", ""),
                                          event_type=filters.get("type", ""))
            .annotate(last_latency_ms=Subquery(last_attempt.values("latency_ms")[:1])))
    if filters.get("sub_account"):
        rows = rows.filter(sub_account_id=filters["sub_account"])
    return rows


@agency_member_required
def endpoint_log(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    form = DeliveryFilterForm(request.GET or None, sub_accounts=SubAccount.objects.filter(
        agency=request.agency).order_by("name"))
    filters = form.cleaned_data if form.is_valid() else {}
    rows = _deliveries(endpoint, filters)
    if request.GET.get("format") == "csv":
        response, writer = csv_download(f"webhook-deliveries-{endpoint.pk}.csv")
        writer.writerow(CSV_HEADER)
        for delivery in rows.iterator():
            writer.writerow(csv_row(delivery))
        return response
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "wallets/webhooks/log.html", {
        "endpoint": endpoint, "form": form, "page": page, "query": query.urlencode(),
        "table": DeliveryTable(list(page.object_list)), "is_admin": is_admin(request)})


def _delivery(request, endpoint, delivery_id) -> WebhookDelivery:
    return get_object_or_404(WebhookDelivery.objects.select_related("event", "sub_account"),
                             endpoint=endpoint, pk=delivery_id)


@agency_member_required
def delivery_detail(request, endpoint_id, delivery_id):
    endpoint = _endpoint(request, endpoint_id)
    delivery = _delivery(request, endpoint, delivery_id)
    return render(request, "wallets/webhooks/delivery.html", {
        "endpoint": endpoint, "delivery": delivery,
        "attempts": delivery.attempt_rows.order_by("-number"),
        "body": json.dumps(json.loads(body_of(delivery.event)), indent=2),
        "is_admin": is_admin(request)})


@agency_member_required(admin=True)
def delivery_resend(request, endpoint_id, delivery_id):
    endpoint = _endpoint(request, endpoint_id)
    delivery = _delivery(request, endpoint, delivery_id)
    back = reverse("webhooks:delivery", args=[endpoint.pk, delivery.pk])
    if request.method == "POST":
        services.webhook_delivery_resend(delivery=delivery, actor=request.user)
        messages.success(request, f"Event {delivery.event_id} will be sent again to "
                                  f"{endpoint.url}, with the same id.")
        return redirect(back)
    return render(request, "confirm.html", {
        "title": f"Send {delivery.event_id} again?",
        "text": (f"The {delivery.event.type} event is POSTed to {endpoint.url} again with "
                 "the same id (receivers that already handled it can skip it by its id)."),
        "button": "Resend the event", "danger": False, "back": back})
