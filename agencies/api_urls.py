from django.urls import path

from . import api

urlpatterns = [
    path("agency", api.AgencyView.as_view(), name="api-agency"),
]
