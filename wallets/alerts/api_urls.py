"""The alerts endpoints of the REST API (docs/api.md#alerts)."""

from django.urls import path

from wallets.alerts import apis

urlpatterns = [
    path("alerts", apis.AgencyAlertsView.as_view(), name="api-alerts"),
    path("subaccounts/<uuid:pk>/alerts", apis.SubAccountAlertsView.as_view(),
         name="api-subaccount-alerts"),
]
