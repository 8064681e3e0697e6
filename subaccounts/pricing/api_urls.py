"""The price API's routes (`/prices`, `/prices/{item}`, `/subaccounts/{id}/prices/{item}`)."""

from django.urls import path

from subaccounts.pricing import apis

urlpatterns = [
    path("prices", apis.PriceGridView.as_view(), name="api-prices"),
    path("prices/<str:item>", apis.PriceView.as_view(), name="api-price"),
    path("subaccounts/<str:pk>/prices/<str:item>", apis.SubAccountPriceView.as_view(),
         name="api-subaccount-price"),
]
