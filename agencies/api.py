"""`/agency`: the agency's own settings in the REST API (GET, PATCH). Its prices are
`subaccounts.pricing.apis`'s."""

from rest_framework import serializers
from rest_framework.response import Response

from agencies.services import agency_update
from hoopbilling.api import AgencyApiView
from hoopbilling.errors import InvalidInput


class AgencySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    currency = serializers.CharField(read_only=True)
    plan_rebilling_allowed = serializers.BooleanField(read_only=True)
    rebilling_enabled = serializers.BooleanField(read_only=True)
    retry_schedule_hours = serializers.ListField(child=serializers.DecimalField(
        max_digits=8, decimal_places=2, coerce_to_string=False), read_only=True)
    billing_anchor_day = serializers.IntegerField(read_only=True)


class AgencyView(AgencyApiView):
    def get(self, request):
        return Response(AgencySerializer(self.agency).data)

    def patch(self, request):
        if not isinstance(request.data, dict):
            raise InvalidInput("Send a JSON object.", field="name")
        agency = agency_update(agency=self.agency, changes=request.data,
                               actor_label=str(request.user))
        return Response(AgencySerializer(agency).data)
