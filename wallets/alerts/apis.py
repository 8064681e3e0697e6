"""The alerts endpoints of the REST API (docs/api.md#alerts): the agency's default and a
client's own settings, replaced whole by PUT; amounts are decimal strings in the agency's
currency. A client is looked up within the caller's agency, so another agency's is a 404."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from hoopbilling.api import AgencyApiView, BoundedDecimalField, StrictSerializer
from hoopbilling.money import AMOUNT_MAX, AMOUNT_PLACES
from subaccounts.tenancy import subaccount_for_agency
from wallets.alerts import selectors, services
from wallets.alerts.models import AlertSettings, SpendAlert


class SpendAlertSerializer(StrictSerializer):
    amount = BoundedDecimalField(maximum=AMOUNT_MAX, minimum=AMOUNT_PLACES,
                                 what="A spend alert's amount")
    window = serializers.ChoiceField(choices=SpendAlert.Window.values)


class AlertsSerializer(StrictSerializer):
    spend = serializers.ListField(child=SpendAlertSerializer(),
                                  max_length=services.MAX_SPEND_ALERTS)
    low_balance = serializers.ListField(
        child=BoundedDecimalField(maximum=AMOUNT_MAX, what="A level"),
        max_length=services.MAX_LEVELS)


class AlertsOutSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["own", "agency"])
    currency = serializers.CharField()
    spend = SpendAlertSerializer(many=True)
    low_balance = serializers.ListField(child=serializers.CharField())


def alerts_data(settings: AlertSettings | None, *, source: str, currency: str) -> dict:
    return {"source": source, "currency": currency,
            **(services.snapshot(settings) or {"spend": [], "low_balance": []})}


class AgencyAlertsView(AgencyApiView):
    @extend_schema(responses=AlertsOutSerializer)
    def get(self, request):
        return Response(alerts_data(selectors.agency_default(self.agency), source="agency",
                                    currency=self.agency.currency))

    @extend_schema(request=AlertsSerializer, responses=AlertsOutSerializer)
    def put(self, request):
        serializer = AlertsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        settings = services.alert_settings_put(agency=self.agency, actor_label=str(request.user),
                                               **serializer.validated_data)
        return Response(alerts_data(settings, source="agency", currency=self.agency.currency))


class SubAccountAlertsView(AgencyApiView):
    def _effective(self, sub_account) -> dict:
        own = selectors.client_own(sub_account)
        if own is not None:
            return alerts_data(own, source="own", currency=self.agency.currency)
        return alerts_data(selectors.agency_default(self.agency), source="agency",
                           currency=self.agency.currency)

    @extend_schema(responses=AlertsOutSerializer)
    def get(self, request, pk):
        return Response(self._effective(subaccount_for_agency(self.agency, pk)))

    @extend_schema(request=AlertsSerializer, responses=AlertsOutSerializer)
    def put(self, request, pk):
        sub_account = subaccount_for_agency(self.agency, pk)
        serializer = AlertsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.alert_settings_put(agency=self.agency, sub_account=sub_account,
                                    actor_label=str(request.user), **serializer.validated_data)
        return Response(self._effective(sub_account))

    @extend_schema(responses={200: AlertsOutSerializer})
    def delete(self, request, pk):
        sub_account = subaccount_for_agency(self.agency, pk)
        services.alert_settings_delete(sub_account=sub_account, actor_label=str(request.user))
        return Response(self._effective(sub_account))
