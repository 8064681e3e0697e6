from django.urls import path

from . import pricing_views

app_name = "pricing_preview"

urlpatterns = [
    path("agency/settings/rebilling/bulk/", pricing_views.bulk, name="bulk"),
]
