"""The invoice endpoints of the REST API (docs/api.md#invoices)."""

from django.urls import path

from wallets.billing import apis

urlpatterns = [
    path("subaccounts/<uuid:pk>/invoices", apis.SubAccountInvoicesView.as_view(),
         name="api-subaccount-invoices"),
    path("invoices/<uuid:pk>.pdf", apis.InvoicePdfView.as_view(),
         name="api-invoice-pdf"),
    path("invoices/<uuid:pk>", apis.InvoiceView.as_view(), name="api-invoice"),
]
