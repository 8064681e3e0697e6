from django.contrib import admin
from django.urls import include, path

from hoopbilling import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("hoopbilling.api_urls")),
    path("", include("wallets.payments.urls")),
    path("agency/keys/", include("agencies.keys_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("", include("subaccounts.payments_settings_urls")),
    path("", include("subaccounts.pricing.urls")),
    path("", include("subaccounts.urls")),
    path("", include("wallets.usage.urls")),
    path("", include("wallets.billing.urls")),
]

# The API answers its own error format where a view crashed (404s: `api_not_found`, the API's
# last route); pages keep Django's.
handler500 = "hoopbilling.views.server_error"
