"""Sub-account endpoints of the REST API (docs/api.md#sub-accounts), scoped to the caller's agency:
another agency's sub-account is 404."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from hoopbilling.api import AgencyApiView
from hoopbilling.errors import InvalidInput
from hoopbilling.money import to_minor_units
from subaccounts.models import SubAccount, SuspensionReason
from subaccounts.services import subaccount_create, subaccount_update


class SubAccountSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(max_length=200)
    external_id = serializers.CharField(max_length=255, required=False, allow_null=True)
    rebilling_enabled = serializers.BooleanField(read_only=True)
    suspended = serializers.BooleanField(read_only=True)
    suspension_reason = serializers.SerializerMethodField(
        help_text="null, payment_failed, credit_limit or agency")
    itemised_usage_visible = serializers.BooleanField(read_only=True)
    credit_limit = serializers.SerializerMethodField(
        help_text="How far below zero its wallet may go, or null: the agency's")
    effective_credit_limit = serializers.SerializerMethodField(
        help_text="Its own credit limit, else the agency's")

    @extend_schema_field(serializers.ChoiceField(choices=SuspensionReason.values,
                                                 allow_null=True))
    def get_suspension_reason(self, sub_account) -> str | None:
        return sub_account.suspension_reason or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_credit_limit(self, sub_account) -> str | None:
        own = sub_account.credit_limit
        return None if own is None else f"{to_minor_units(own.amount):f}"

    @extend_schema_field(serializers.CharField())
    def get_effective_credit_limit(self, sub_account) -> str:
        return f"{to_minor_units(sub_account.effective_credit_limit):f}"


class SubAccountPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    rebilling_enabled = serializers.BooleanField(required=False)
    itemised_usage_visible = serializers.BooleanField(required=False)
    credit_limit = serializers.CharField(
        required=False, allow_null=True,
        help_text='A decimal string from "0" to "1000000000" in whole cents, or null: the '
                  "agency's")


class SubAccountPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidInput("The body is a JSON object.", field="body")
    return request.data


def _actor_label(request) -> str:
    return str(request.user)


class SubAccountListView(AgencyApiView):
    @extend_schema(responses={200: inline_serializer("SubAccountPage", {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": SubAccountSerializer(many=True)})},
                   summary="The agency's sub-accounts, by name, 50 a page (?page=, ?page_size=)")
    def get(self, request):
        paginator = SubAccountPagination()
        rows = (SubAccount.objects.filter(agency=self.agency).select_related("agency")
                .order_by("name", "id"))
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(SubAccountSerializer(page, many=True).data)

    @extend_schema(request=inline_serializer("SubAccountCreate", {
        "name": serializers.CharField(max_length=200),
        "external_id": serializers.CharField(max_length=255, required=False)}),
        responses={201: SubAccountSerializer}, summary="Add a client")
    def post(self, request):
        body = _body(request)
        unknown = set(body) - {"name", "external_id"}
        if unknown:
            raise InvalidInput(f"Unknown field {sorted(unknown)[0]!r}.", field=sorted(unknown)[0])
        name, external_id = body.get("name"), body.get("external_id")
        if not isinstance(name, str):
            raise InvalidInput("A sub-account needs a name.", field="name")
        if external_id is not None and not isinstance(external_id, str):
            raise InvalidInput("An external id is a string.", field="external_id")
        sub_account = subaccount_create(agency=self.agency, name=name, external_id=external_id,
                                        actor_label=_actor_label(request))
        return Response(SubAccountSerializer(sub_account).data, status=201)


class SubAccountDetailView(AgencyApiView):
    def _get(self, pk) -> SubAccount:
        return get_object_or_404(SubAccount.objects.select_related("agency"),
                                 agency=self.agency, pk=pk)

    @extend_schema(responses={200: SubAccountSerializer})
    def get(self, request, pk):
        return Response(SubAccountSerializer(self._get(pk)).data)

    @extend_schema(request=SubAccountPatchSerializer, responses={200: SubAccountSerializer},
                   summary="Change name, rebilling_enabled, itemised_usage_visible or "
                           "credit_limit")
    def patch(self, request, pk):
        subaccount_update(sub_account=self._get(pk), changes=_body(request),
                          actor_label=_actor_label(request))
        # Read again: a raised limit may have lifted a suspension once the change committed.
        return Response(SubAccountSerializer(self._get(pk)).data)
