"""Platform-level pages: the landing page after login and a health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render


@login_required
def home(request):
    user = request.user
    context = {
        "agency_memberships": user.agency_memberships.select_related("agency"),
        "client_memberships": user.client_memberships.select_related("sub_account__agency"),
    }
    return render(request, "home.html", context)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
