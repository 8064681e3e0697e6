"""The alert pages (agency members; changes by agency admins)."""

from django.urls import path

from wallets.alerts import views

app_name = "alerts"

urlpatterns = [
    path("agency/alerts/", views.agency_alerts, name="agency"),
    path("agency/alerts/spend/", views.spend_alert_add, name="spend-add"),
    path("agency/alerts/spend/<int:alert_id>/", views.spend_alert_edit, name="spend-edit"),
    path("agency/alerts/spend/<int:alert_id>/delete/", views.spend_alert_delete,
         name="spend-delete"),
    path("agency/clients/<uuid:pk>/alerts/", views.client_alerts, name="client"),
    path("agency/clients/<uuid:pk>/alerts/spend/", views.spend_alert_add,
         name="client-spend-add"),
    path("agency/clients/<uuid:pk>/alerts/own/", views.client_alerts_own, name="client-own"),
    path("agency/clients/<uuid:pk>/alerts/reset/", views.client_alerts_reset,
         name="client-reset"),
]
