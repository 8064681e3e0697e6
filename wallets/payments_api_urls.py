from django.urls import path

from . import payments_api

urlpatterns = [
    path("subaccounts/<uuid:pk>/wallet", payments_api.WalletView.as_view(),
         name="api-wallet"),
    path("subaccounts/<uuid:pk>/payment-method", payments_api.PaymentMethodView.as_view(),
         name="api-payment-method"),
    path("subaccounts/<uuid:pk>/wallet/topups", payments_api.TopUpCreateView.as_view(),
         name="api-topup-create"),
    path("subaccounts/<uuid:pk>/topups", payments_api.TopUpListView.as_view(),
         name="api-topups"),
]
