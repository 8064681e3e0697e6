from django.urls import path

from agencies import api

urlpatterns = [
    path("agency", api.AgencyView.as_view(), name="api-agency"),
    path("prices", api.PriceGridView.as_view(), name="api-prices"),
    path("prices/<str:item>", api.PriceView.as_view(), name="api-price"),
]
