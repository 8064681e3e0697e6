from django.urls import path

from subaccounts import payments_settings_views as views

app_name = "agency_payments"

urlpatterns = [
    path("agency/settings/payments/", views.payments_settings, name="settings"),
]
