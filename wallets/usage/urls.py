"""The usage pages: the bulk markup of Settings > Rebilling, previewed by the margin
simulator."""

from django.urls import path

from wallets.usage import views

app_name = "pricing_preview"

urlpatterns = [
    path("agency/settings/rebilling/bulk/", views.bulk, name="bulk"),
]
