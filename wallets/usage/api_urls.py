"""The usage endpoints of the REST API (docs/api.md#usage)."""

from django.urls import path

from wallets.usage import apis

urlpatterns = [
    path("usage", apis.UsageView.as_view(), name="api-usage"),
    path("usage/batch", apis.UsageBatchView.as_view(), name="api-usage-batch"),
    path("quote", apis.QuoteView.as_view(), name="api-quote"),
    path("subaccounts/<uuid:pk>/ledger", apis.LedgerView.as_view(), name="api-ledger"),
]
