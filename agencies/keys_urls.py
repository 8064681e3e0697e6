from django.urls import path

from agencies import keys_views

urlpatterns = [
    path("", keys_views.keys_list, name="agency-keys"),
    path("new", keys_views.key_issue, name="agency-key-issue"),
    path("<int:pk>/revoke", keys_views.key_revoke, name="agency-key-revoke"),
]
