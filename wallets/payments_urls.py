from django.urls import path

from . import payments_views as views

app_name = "payments"

urlpatterns = [
    path("billing/", views.billing_redirect, name="billing-home"),
    path("billing/<uuid:sub_account_id>/", views.billing_home, name="billing"),
    path("billing/<uuid:sub_account_id>/card/", views.card_set, name="card"),
    path("billing/<uuid:sub_account_id>/topups/<uuid:topup_id>/authenticate/",
         views.topup_authenticate, name="topup-authenticate"),
    path("agency/clients/<uuid:pk>/wallet/", views.agency_wallet_settings,
         name="agency-wallet"),
    path("agency/notifications/", views.notifications, name="notifications"),
]
