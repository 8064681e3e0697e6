from django.urls import path

from agencies import api

urlpatterns = [
    path("agency", api.AgencyView.as_view(), name="api-agency"),
]
