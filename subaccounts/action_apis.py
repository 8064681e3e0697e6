"""The agency's suspension and resumption of a client in the REST API
(docs/api.md#agency-actions), scoped to the caller's agency: another agency's client is 404."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from hoopbilling.api import AgencyApiView, StrictSerializer
from subaccounts.agency_actions import subaccount_agency_resume, subaccount_agency_suspend
from subaccounts.api import SubAccountSerializer
from subaccounts.models import SubAccount


class SuspendSerializer(StrictSerializer):
    items = serializers.ListField(child=serializers.CharField(max_length=50), required=False,
                                  max_length=50)
    reason = serializers.CharField(max_length=255)
    idempotency_key = serializers.CharField(max_length=255, required=False)


class ResumeSerializer(StrictSerializer):
    idempotency_key = serializers.CharField(max_length=255, required=False)


class _SubAccountActionView(AgencyApiView):
    def _get(self, pk) -> SubAccount:
        return get_object_or_404(SubAccount.objects.select_related("agency"),
                                 agency=self.agency, pk=pk)


class SuspendView(_SubAccountActionView):
    @extend_schema(request=SuspendSerializer, responses={200: SubAccountSerializer},
                   summary="Suspend the client (chosen items, default messaging and calling)")
    def post(self, request, pk):
        sub_account = self._get(pk)
        data = SuspendSerializer.validated(request)
        sub_account = subaccount_agency_suspend(
            sub_account=sub_account, reason=data["reason"], items=data.get("items"),
            idempotency_key=data.get("idempotency_key", ""), actor_label=str(request.user))
        return Response(SubAccountSerializer(sub_account).data)


class ResumeView(_SubAccountActionView):
    @extend_schema(request=ResumeSerializer, responses={200: SubAccountSerializer},
                   summary="Lift the agency's suspension of the client")
    def post(self, request, pk):
        sub_account = self._get(pk)
        data = ResumeSerializer.validated(request)
        sub_account = subaccount_agency_resume(
            sub_account=sub_account, idempotency_key=data.get("idempotency_key", ""),
            actor_label=str(request.user))
        return Response(SubAccountSerializer(sub_account).data)
