from django.urls import path

from . import invoices_api

urlpatterns = [
    path("subaccounts/<uuid:pk>/invoices", invoices_api.SubAccountInvoicesView.as_view(),
         name="api-subaccount-invoices"),
    path("invoices/<uuid:pk>.pdf", invoices_api.InvoicePdfView.as_view(),
         name="api-invoice-pdf"),
    path("invoices/<uuid:pk>", invoices_api.InvoiceView.as_view(), name="api-invoice"),
]
