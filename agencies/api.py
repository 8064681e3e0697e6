"""`/agency`: the agency's own settings in the REST API (GET, PATCH). Its prices are
`subaccounts.pricing.apis`'s."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from agencies.services import agency_update
from hoopbilling.api import AgencyApiView
from hoopbilling.errors import InvalidInput
from hoopbilling.money import to_minor_units


class AgencySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    currency = serializers.CharField(read_only=True)
    plan_rebilling_allowed = serializers.BooleanField(read_only=True)
    rebilling_enabled = serializers.BooleanField(read_only=True)
    retry_schedule_hours = serializers.ListField(child=serializers.DecimalField(
        max_digits=8, decimal_places=2, coerce_to_string=False), read_only=True)
    billing_anchor_day = serializers.IntegerField(read_only=True)
    credit_limit = serializers.SerializerMethodField(
        help_text="How far below zero a client's wallet may go unless it has its own limit")

    @extend_schema_field(serializers.CharField())
    def get_credit_limit(self, agency) -> str:
        return f"{to_minor_units(agency.credit_limit.amount):f}"


class AgencyPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    rebilling_enabled = serializers.BooleanField(required=False)
    retry_schedule_hours = serializers.ListField(child=serializers.DecimalField(
        max_digits=8, decimal_places=2, coerce_to_string=False), required=False)
    credit_limit = serializers.CharField(
        required=False, help_text='A decimal string from "0" to "1000000000" in whole cents')


class AgencyView(AgencyApiView):
    @extend_schema(responses={200: AgencySerializer})
    def get(self, request):
        return Response(AgencySerializer(self.agency).data)

    @extend_schema(request=AgencyPatchSerializer, responses={200: AgencySerializer},
                   summary="Change name, rebilling_enabled, retry_schedule_hours or "
                           "credit_limit")
    def patch(self, request):
        if not isinstance(request.data, dict):
            raise InvalidInput("Send a JSON object.", field="name")
        agency = agency_update(agency=self.agency, changes=request.data,
                               actor_label=str(request.user))
        return Response(AgencySerializer(agency).data)
