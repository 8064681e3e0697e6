"""The agency's price pages. Their URL names (`agencies:…`) are older than this package and
kept; a client's price pages are routed with its other pages (`subaccounts.urls`)."""

from django.urls import path

from subaccounts.pricing import views

app_name = "agencies"

urlpatterns = [
    path("agency/settings/rebilling/", views.rebilling, name="rebilling"),
    path("agency/settings/rebilling/prices/", views.prices_edit, name="prices-edit"),
    path("agency/settings/rebilling/prices.csv", views.prices_csv, name="prices-csv"),
    path("agency/settings/rebilling/history/", views.history, name="price-history"),
]
