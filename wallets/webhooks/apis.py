"""The outbound webhooks endpoints of the REST API (docs/api.md#outbound-webhooks): create
(the secret is answered this once), list, delete, rotate the secret. An endpoint is looked up
within the caller's agency, so another agency's is a 404."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from hoopbilling.api import AgencyApiView, StrictSerializer
from wallets.webhooks import selectors, services


class EndpointInSerializer(StrictSerializer):
    # Validated by the service (InvalidInput naming `url` or `events`).
    url = serializers.JSONField()
    events = serializers.JSONField()


class RotateInSerializer(StrictSerializer):
    overlap_hours = serializers.IntegerField(required=False, min_value=0, max_value=168)


class EndpointOutSerializer(serializers.Serializer):
    id = serializers.CharField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class EndpointCreatedSerializer(EndpointOutSerializer):
    secret = serializers.CharField()


class SecretOutSerializer(serializers.Serializer):
    id = serializers.CharField()
    secret = serializers.CharField()
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)


def endpoint_data(endpoint) -> dict:
    return {"id": str(endpoint.pk), "url": endpoint.url, "events": endpoint.events,
            "enabled": endpoint.enabled, "disabled_reason": endpoint.disabled_reason,
            "created_at": endpoint.created_at}


class WebhookEndpointsView(AgencyApiView):
    @extend_schema(responses=EndpointOutSerializer(many=True))
    def get(self, request):
        return Response([endpoint_data(e) for e in selectors.agency_endpoints(self.agency)])

    @extend_schema(request=EndpointInSerializer, responses={201: EndpointCreatedSerializer})
    def post(self, request):
        body = EndpointInSerializer.validated(request)
        endpoint, secret = services.webhook_endpoint_create(
            agency=self.agency, url=body.get("url"), events=body.get("events"),
            actor_label=str(request.user))
        return Response({**endpoint_data(endpoint), "secret": secret}, status=201)


class WebhookEndpointView(AgencyApiView):
    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        endpoint = selectors.endpoint_for_agency(self.agency, pk)
        services.webhook_endpoint_delete(endpoint=endpoint, actor_label=str(request.user))
        return Response(status=204)


class WebhookEndpointRotateView(AgencyApiView):
    @extend_schema(request=RotateInSerializer, responses=SecretOutSerializer)
    def post(self, request, pk):
        endpoint = selectors.endpoint_for_agency(self.agency, pk)
        body = RotateInSerializer.validated(request)
        secret = services.webhook_endpoint_rotate(
            endpoint=endpoint, overlap_hours=body.get("overlap_hours", 24),
            actor_label=str(request.user))
        return Response({"id": str(endpoint.pk), "secret": secret,
                         "previous_secret_expires_at": endpoint.previous_secret_expires_at})
