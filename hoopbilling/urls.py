from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from hoopbilling import views
from hoopbilling.password_reset import ThrottledPasswordResetView

urlpatterns = [
    path("", views.home, name="home"),
    # Before Django's own: the reset mail goes through the outbox and asking is throttled.
    path("accounts/password_reset/", ThrottledPasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("hoopbilling.api_urls")),
    path("", include("wallets.payments.urls")),
    path("", include("wallets.alerts.urls")),
    path("", include("wallets.webhooks.urls")),
    path("agency/keys/", include("agencies.keys_urls")),
    path("healthz", views.healthz, name="healthz"),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("", include("subaccounts.payments_settings_urls")),
    path("", include("subaccounts.pricing.urls")),
    path("", include("subaccounts.urls")),
    path("", include("wallets.usage.urls")),
    path("", include("wallets.billing.urls")),
]

# An email service provider's delivery webhooks (django-anymail), authenticated by its
# shared secret, not by a session: mounted only when that secret is set (without it anymail
# would accept anyone's posts).
if settings.ANYMAIL.get("WEBHOOK_SECRET"):
    urlpatterns.append(path("anymail/", include("anymail.urls")))

# The API answers its own error format where a view crashed (404s: `api_not_found`, the API's
# last route); pages keep Django's.
handler500 = "hoopbilling.views.server_error"
