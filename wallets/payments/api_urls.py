"""The payment endpoints of the REST API (docs/api.md#payments)."""

from django.urls import path

from wallets.payments import apis

urlpatterns = [
    path("subaccounts/<uuid:pk>/wallet", apis.WalletView.as_view(),
         name="api-wallet"),
    path("subaccounts/<uuid:pk>/payment-method", apis.PaymentMethodView.as_view(),
         name="api-payment-method"),
    path("subaccounts/<uuid:pk>/wallet/topups", apis.TopUpCreateView.as_view(),
         name="api-topup-create"),
    path("subaccounts/<uuid:pk>/topups", apis.TopUpListView.as_view(),
         name="api-topups"),
]
