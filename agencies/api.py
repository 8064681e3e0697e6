"""Agency endpoints of the REST API."""

from rest_framework import serializers
from rest_framework.response import Response

from hoopbilling.api import AgencyApiView


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
