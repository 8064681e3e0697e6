"""The webhook pages (agency members read; agency admins change)."""

from django.urls import path

from wallets.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("agency/webhooks/", views.endpoint_list, name="list"),
    path("agency/webhooks/<int:endpoint_id>/", views.endpoint_log, name="log"),
    path("agency/webhooks/<int:endpoint_id>/secret/", views.endpoint_secret, name="secret"),
    path("agency/webhooks/<int:endpoint_id>/rotate/", views.endpoint_rotate, name="rotate"),
    path("agency/webhooks/<int:endpoint_id>/enable/", views.endpoint_enable, name="enable"),
    path("agency/webhooks/<int:endpoint_id>/disable/", views.endpoint_disable,
         name="disable"),
    path("agency/webhooks/<int:endpoint_id>/delete/", views.endpoint_delete, name="delete"),
    path("agency/webhooks/<int:endpoint_id>/test/", views.endpoint_test, name="test"),
    path("agency/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/",
         views.delivery_detail, name="delivery"),
    path("agency/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/resend/",
         views.delivery_resend, name="resend"),
]
