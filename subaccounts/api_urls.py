from django.urls import path

from subaccounts import api

urlpatterns = [
    path("subaccounts", api.SubAccountListView.as_view(), name="api-subaccounts"),
    path("subaccounts/<uuid:pk>", api.SubAccountDetailView.as_view(), name="api-subaccount"),
]
