"""The payment pages: the client's billing page and card, a top-up's authentication, the
agency's auto top-up settings per client, its actions on the client (credit, refund, retry,
suspend, resume, card link) and its notifications; the card link's page (no login)."""

from django.urls import path

from wallets.payments import action_views, views

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
    path("agency/clients/<uuid:pk>/wallet/credit/", action_views.credit_grant,
         name="agency-credit"),
    path("agency/clients/<uuid:pk>/wallet/topups/<uuid:topup_id>/refund/", action_views.refund,
         name="agency-refund"),
    path("agency/clients/<uuid:pk>/wallet/topups/<uuid:topup_id>/retry/", action_views.retry,
         name="agency-retry"),
    path("agency/clients/<uuid:pk>/wallet/suspend/", action_views.suspend,
         name="agency-suspend"),
    path("agency/clients/<uuid:pk>/wallet/resume/", action_views.resume, name="agency-resume"),
    path("agency/clients/<uuid:pk>/wallet/card-link/", action_views.card_link,
         name="agency-card-link"),
    path("card/<str:token>/", action_views.card_link_page, name="card-link"),
]
