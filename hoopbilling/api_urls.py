"""`/api/v1/`: each app contributes its own `api_urls`."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from hoopbilling.views import api_not_found

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include("agencies.api_urls")),
    path("", include("subaccounts.pricing.api_urls")),
    path("", include("wallets.payments.api_urls")),
    path("", include("wallets.alerts.api_urls")),
    path("", include("wallets.webhooks.api_urls")),
    path("", include("wallets.billing.api_urls")),
    path("", include("subaccounts.api_urls")),
    path("", include("wallets.usage.api_urls")),
    # Last: a path naming nothing (unknown, or an id that is not a UUID) is the API's own
    # 404, in debug mode too (Django's handler404 is skipped there).
    re_path(r"^", api_not_found, name="api-not-found"),
]
