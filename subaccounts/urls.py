from django.urls import path

from subaccounts import views

app_name = "subaccounts"

urlpatterns = [
    path("agency/clients/", views.subaccount_list, name="list"),
    path("agency/clients/<uuid:pk>/billing/", views.billing, name="billing"),
    path("agency/clients/<uuid:pk>/billing/reset/<str:item>/", views.price_reset,
         name="price-reset"),
    path("agency/clients/<uuid:pk>/billing/history/", views.billing_history,
         name="price-history"),
]
