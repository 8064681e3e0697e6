from django.urls import path

from subaccounts import action_apis, api

urlpatterns = [
    path("subaccounts", api.SubAccountListView.as_view(), name="api-subaccounts"),
    path("subaccounts/<uuid:pk>", api.SubAccountDetailView.as_view(), name="api-subaccount"),
    path("subaccounts/<uuid:pk>/suspend", action_apis.SuspendView.as_view(),
         name="api-subaccount-suspend"),
    path("subaccounts/<uuid:pk>/resume", action_apis.ResumeView.as_view(),
         name="api-subaccount-resume"),
]
