from django.urls import path

from . import usage_api

urlpatterns = [
    path("usage", usage_api.UsageView.as_view(), name="api-usage"),
    path("usage/batch", usage_api.UsageBatchView.as_view(), name="api-usage-batch"),
    path("quote", usage_api.QuoteView.as_view(), name="api-quote"),
    path("subaccounts/<uuid:pk>/ledger", usage_api.LedgerView.as_view(), name="api-ledger"),
]
