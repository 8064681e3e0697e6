"""The billing pages: dashboard, a client's ledger, invoices and statements, and the client's
own billing page."""

from django.urls import path

from wallets.billing import views

app_name = "wallets"

urlpatterns = [
    path("billing/", views.dashboard, name="dashboard"),
    path("billing/clients/<uuid:pk>/ledger/", views.ledger, name="ledger"),
    path("billing/clients/<uuid:pk>/ledger.csv", views.ledger_csv, name="ledger-csv"),
    path("billing/invoices/", views.invoice_list, name="invoices"),
    path("billing/invoices/<uuid:pk>/", views.invoice_detail, name="invoice"),
    path("billing/invoices/<uuid:pk>.pdf", views.invoice_detail, {"fmt": "pdf"},
         name="invoice-pdf"),
    path("billing/invoices/<uuid:pk>.csv", views.invoice_detail, {"fmt": "csv"},
         name="invoice-csv"),
    path("billing/statement/", views.statements, name="statements"),
    path("client/<uuid:sub_account_id>/billing/", views.client_billing, name="client-billing"),
    path("client/<uuid:sub_account_id>/billing/usage.csv", views.client_usage_csv,
         name="client-usage-csv"),
    path("client/<uuid:sub_account_id>/billing/invoices/<uuid:pk>/", views.client_invoice,
         name="client-invoice"),
    path("client/<uuid:sub_account_id>/billing/invoices/<uuid:pk>.pdf", views.client_invoice,
         {"fmt": "pdf"}, name="client-invoice-pdf"),
    path("client/<uuid:sub_account_id>/billing/invoices/<uuid:pk>.csv", views.client_invoice,
         {"fmt": "csv"}, name="client-invoice-csv"),
]
