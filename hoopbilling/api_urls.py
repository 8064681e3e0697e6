"""`/api/v1/`: each app contributes its own `api_urls`."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include("agencies.api_urls")),
    path("", include("subaccounts.prices_api_urls")),
    path("", include("wallets.payments_api_urls")),
    path("", include("wallets.invoices_api_urls")),
    path("", include("subaccounts.api_urls")),
    path("", include("wallets.usage_api_urls")),
]
