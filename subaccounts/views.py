"""The agency's client pages: Sub-accounts and each client's Billing settings (prices that
inherit or override the agency's grid, the rebilling and itemised-usage switches, history).

Clients are looked up through `agency_subaccount`, so another agency's client is 404. What
these pages show and save of prices is `subaccounts.pricing`'s (forms, tables, services).
"""


from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django_tables2 import RequestConfig

from agencies.tenancy import agency_member_required, is_admin
from hoopbilling.exports import csv_download
from subaccounts.forms import ClientSettingsForm
from subaccounts.pricing.forms import ClientPriceForm
from subaccounts.pricing.models import BillableItem
from subaccounts.pricing.selectors import agency_price_grid, client_price_grid, price_history
from subaccounts.pricing.services import price_clear
from subaccounts.pricing.tables import ClientPriceTable
from subaccounts.pricing.views import history_response
from subaccounts.selectors import agency_subaccounts
from subaccounts.services import subaccount_update
from subaccounts.tables import SubAccountTable
from subaccounts.tenancy import agency_subaccount


@agency_member_required
def subaccount_list(request):
    rows = agency_subaccounts(agency=request.agency)
    if request.GET.get("export") == "csv":
        response, writer = csv_download("sub-accounts.csv")
        writer.writerow(["id", "name", "external_id", "rebilling_enabled", "suspended",
                         "itemised_usage_visible"])
        for row in rows:
            writer.writerow([row.pk, row.name, row.external_id or "", row.rebilling_enabled,
                             row.suspended, row.itemised_usage_visible])
        return response
    table = SubAccountTable(rows, is_admin=is_admin(request))
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(request, "subaccounts/list.html", {"agency": request.agency, "table": table})


def _grid_context(request, sub_account):
    now = timezone.now()
    rows = client_price_grid(sub_account=sub_account, moment=now)
    agency_rows = {row.item.code: row for row in agency_price_grid(agency=request.agency,
                                                                   moment=now)}
    return rows, agency_rows


@agency_member_required
def billing(request, pk):
    sub_account = agency_subaccount(request, pk)
    rows, agency_rows = _grid_context(request, sub_account)
    settings_form = ClientSettingsForm(initial={
        "rebilling_enabled": sub_account.rebilling_enabled,
        "itemised_usage_visible": sub_account.itemised_usage_visible})
    price_form = ClientPriceForm(rows=rows, agency_rows=agency_rows, sub_account=sub_account)
    if request.method == "POST":
        if not is_admin(request):
            raise Http404("Only an agency admin changes a client's billing.")
        if request.POST.get("action") == "settings":
            settings_form = ClientSettingsForm(request.POST)
            if settings_form.is_valid():
                subaccount_update(sub_account=sub_account, changes=settings_form.cleaned_data,
                                  actor=request.user)
                messages.success(request, f"Saved {sub_account.name}'s billing settings.")
                return redirect("subaccounts:billing", pk=sub_account.pk)
        else:
            price_form = ClientPriceForm(request.POST, rows=rows, agency_rows=agency_rows,
                                         sub_account=sub_account)
            if price_form.is_valid():
                changed = price_form.save(actor=request.user)
                if changed is not None:
                    messages.success(request, f"Saved {sub_account.name}'s prices: "
                                     f"{', '.join(changed)}." if changed
                                     else "No price changed.")
                    return redirect("subaccounts:billing", pk=sub_account.pk)
            messages.error(request, "Nothing was saved: fix the prices marked below.")
    return render(request, "subaccounts/billing.html", {
        "agency": request.agency, "sub_account": sub_account, "is_admin": is_admin(request),
        "table": ClientPriceTable(rows, sub_account=sub_account, is_admin=is_admin(request)),
        "settings_form": settings_form, "price_form": price_form,
    })


@agency_member_required(admin=True)
def price_reset(request, pk, item):
    """"Reset to agency price": a confirmation page, then the override is ended."""
    sub_account = agency_subaccount(request, pk)
    item = get_object_or_404(BillableItem, code=item)
    rows, agency_rows = _grid_context(request, sub_account)
    row = next((row for row in rows if row.item.code == item.code), None)
    if row is None:
        raise Http404("No price for this item.")
    if request.method == "POST":
        if price_clear(sub_account=sub_account, item=item, actor=request.user):
            messages.success(request, f"{sub_account.name} pays the agency price for "
                             f"{item.name} again.")
        else:
            messages.info(request, f"{sub_account.name} already pays the agency price for "
                          f"{item.name}.")
        return redirect("subaccounts:billing", pk=sub_account.pk)
    return render(request, "subaccounts/price_reset_confirm.html", {
        "sub_account": sub_account, "item": item, "row": row,
        "agency_row": agency_rows[item.code]})


@agency_member_required
def billing_history(request, pk):
    sub_account = agency_subaccount(request, pk)
    return history_response(
        request, price_history(agency=request.agency, sub_account_id=sub_account.pk),
        template="subaccounts/price_history.html",
        context={"agency": request.agency, "sub_account": sub_account},
        client_names={str(sub_account.pk): sub_account.name},
        filename=f"price-history-{sub_account.pk}.csv")
