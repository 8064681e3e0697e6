"""The payment endpoints of the REST API (docs/api.md#payments)."""

from django.urls import path

from wallets.payments import action_apis, apis

urlpatterns = [
    path("subaccounts/<uuid:pk>/wallet", apis.WalletView.as_view(),
         name="api-wallet"),
    path("subaccounts/<uuid:pk>/payment-method", apis.PaymentMethodView.as_view(),
         name="api-payment-method"),
    path("subaccounts/<uuid:pk>/wallet/topups", apis.TopUpCreateView.as_view(),
         name="api-topup-create"),
    path("subaccounts/<uuid:pk>/topups", apis.TopUpListView.as_view(),
         name="api-topups"),
    path("subaccounts/<uuid:pk>/wallet/credits", action_apis.CreditView.as_view(),
         name="api-credit"),
    path("subaccounts/<uuid:pk>/topups/<uuid:topup_id>/refund", action_apis.RefundView.as_view(),
         name="api-topup-refund"),
    path("subaccounts/<uuid:pk>/topups/<uuid:topup_id>/retry", action_apis.RetryView.as_view(),
         name="api-topup-retry"),
    path("subaccounts/<uuid:pk>/card-link", action_apis.CardLinkView.as_view(),
         name="api-card-link"),
]
