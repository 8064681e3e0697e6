"""The outbound webhooks endpoints of the REST API (docs/api.md#outbound-webhooks)."""

from django.urls import path

from wallets.webhooks import apis

urlpatterns = [
    path("webhook-endpoints", apis.WebhookEndpointsView.as_view(), name="api-webhook-endpoints"),
    path("webhook-endpoints/<int:pk>", apis.WebhookEndpointView.as_view(),
         name="api-webhook-endpoint"),
    path("webhook-endpoints/<int:pk>/rotate", apis.WebhookEndpointRotateView.as_view(),
         name="api-webhook-endpoint-rotate"),
]
