"""Platform-level pages: the landing page after login and a health check."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from hoopbilling.api import error_body

API_PREFIX = "/api/"


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


@csrf_exempt  # like every API view: a key, not a session, authenticates the API
def api_not_found(request):
    return JsonResponse(error_body("not_found", "No such resource."), status=404)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body("internal_error", "Something went wrong on our side."),
                            status=500)
    return defaults.server_error(request)
