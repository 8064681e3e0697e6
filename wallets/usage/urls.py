from django.urls import path

from wallets.usage import views

app_name = "pricing_preview"

urlpatterns = [
    path("agency/settings/rebilling/bulk/", views.bulk, name="bulk"),
]
