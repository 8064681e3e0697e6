"""Reads of outbound webhooks, always within one agency: another agency's endpoint is a 404."""

from django.db.models import QuerySet

from hoopbilling.errors import NotFound
from wallets.webhooks.models import WebhookDelivery, WebhookEndpoint


def agency_endpoints(agency) -> QuerySet:
    return WebhookEndpoint.objects.filter(agency=agency).order_by("pk")


def endpoint_for_agency(agency, pk) -> WebhookEndpoint:
    endpoint = agency_endpoints(agency).filter(pk=pk).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def endpoint_deliveries(endpoint: WebhookEndpoint, *, status: str = "",
                        event_type: str = "") -> QuerySet:
    """The endpoint's delivery log, newest first, with each event."""
    deliveries = (WebhookDelivery.objects.filter(endpoint=endpoint)
                  .select_related("event", "sub_account").order_by("-created_at", "-pk"))
    if status:
        deliveries = deliveries.filter(status=status)
    if event_type:
        deliveries = deliveries.filter(event__type=event_type)
    return deliveries
