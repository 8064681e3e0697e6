from django.urls import path

from subaccounts import prices_api

urlpatterns = [
    path("subaccounts/<str:pk>/prices/<str:item>", prices_api.SubAccountPriceView.as_view(),
         name="api-subaccount-price"),
]
