"""The payment pages: the client's billing page and card, a top-up's authentication, the
agency's auto top-up settings per client and its notifications."""

from django.urls import path

from wallets.payments import views

app_name = "payments"

urlpatterns = [
    path("client/<uuid:sub_account_id>/payments/", views.billing_home, name="billing"),
    path("client/<uuid:sub_account_id>/payments/card/", views.card_set, name="card"),
    path("client/<uuid:sub_account_id>/payments/topups/<uuid:topup_id>/authenticate/",
         views.topup_authenticate, name="topup-authenticate"),
    path("agency/clients/<uuid:pk>/wallet/", views.agency_wallet_settings,
         name="agency-wallet"),
    path("agency/notifications/", views.notifications, name="notifications"),
    path("agency/notifications/read/", views.notifications_read, name="notifications-read"),
    path("agency/notifications/<int:pk>/read/", views.notifications_read,
         name="notification-read"),
]
