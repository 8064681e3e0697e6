"""The agency's API keys page: list, issue (the secret shown once), revoke. Admins only."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from agencies.models import ApiKey
from agencies.services import api_key_issue, api_key_revoke
from agencies.tenancy import agency_member_required
from hoopbilling.errors import InvalidInput
from hoopbilling.text import clean_name

PAGE_SIZE = 25


@agency_member_required(admin=True)
def keys_list(request):
    keys = ApiKey.objects.filter(agency=request.agency).select_related("created_by")
    page = Paginator(keys.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    # The new secret travels once through the session and is removed as it is shown.
    new_key = request.session.pop("new_api_key", None)
    return render(request, "agencies/keys.html", {"page": page, "new_key": new_key})


@require_POST
@agency_member_required(admin=True)
def key_issue(request):
    try:
        name = clean_name(request.POST.get("name", "").strip() or "Default", max_length=100)
    except InvalidInput as exc:
        messages.error(request, f"Key name: {exc.message}")
        return redirect("agency-keys")
    key, raw_key = api_key_issue(agency=request.agency, name=name, actor=request.user)
    request.session["new_api_key"] = {"prefix": key.prefix, "name": key.name, "raw": raw_key}
    messages.success(request, f"API key “{key.name}” issued. Copy it now: it is shown once.")
    return redirect("agency-keys")


@agency_member_required(admin=True)
def key_revoke(request, pk):
    key = get_object_or_404(ApiKey, agency=request.agency, pk=pk)
    if request.method == "POST":
        api_key_revoke(key=key, actor=request.user)
        messages.success(request, f"API key {key.prefix}… “{key.name}” revoked.")
        return redirect("agency-keys")
    return render(request, "agencies/key_revoke.html", {"key": key})
