"""Settings > Rebilling: the agency's rebilling switch, its price grid and price history;
`history_response` also serves a client's price history (`subaccounts.views`).

Every view goes through `agency_member_required`, so it only ever sees the caller's agency;
admins change things, staff may look.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django_tables2 import RequestConfig

from agencies.services import agency_update
from agencies.tenancy import agency_member_required, is_admin
from hoopbilling.errors import InvalidInput
from hoopbilling.exports import csv_download
from subaccounts.pricing.forms import PriceGridForm, RebillingForm
from subaccounts.pricing.selectors import agency_price_grid, price_history
from subaccounts.pricing.tables import PriceGridTable, PriceHistoryTable, amount_text, change_text


@agency_member_required
def rebilling(request):
    agency = request.agency
    form = RebillingForm(request.POST if request.method == "POST" else None,
                         initial={"rebilling_enabled": agency.rebilling_enabled})
    if agency.rebilling_enabled:  # static/js/confirm.js asks before switching it off
        form.fields["rebilling_enabled"].widget.attrs["data-confirm-change"] = (
            "Switch rebilling off? From now on every client's usage is billed to your agency "
            "and no wallet is debited.")
    if request.method == "POST":
        if not (is_admin(request) and agency.plan_rebilling_allowed):
            raise Http404("Only an agency admin on a rebilling plan changes this.")
        if form.is_valid():
            try:
                agency_update(agency=agency, actor=request.user, changes={
                    "rebilling_enabled": form.cleaned_data["rebilling_enabled"]})
            except InvalidInput as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, "Rebilling is now "
                                 f"{'on' if form.cleaned_data['rebilling_enabled'] else 'off'}.")
            return redirect("agencies:rebilling")
    rows = agency_price_grid(agency=agency)
    return render(request, "agencies/rebilling.html", {
        "agency": agency, "form": form, "table": PriceGridTable(rows),
        "is_admin": is_admin(request), "subsidized": [r for r in rows if r.subsidized],
    })


@agency_member_required(admin=True)
def prices_edit(request):
    agency = request.agency
    rows = agency_price_grid(agency=agency)
    form = PriceGridForm(request.POST if request.method == "POST" else None, rows=rows,
                         agency=agency)
    if request.method == "POST" and form.is_valid():
        changed = form.save(actor=request.user)
        if changed is not None:
            if changed:
                messages.success(request, f"Saved {len(changed)} price"
                                 f"{'' if len(changed) == 1 else 's'}: {', '.join(changed)}.")
            else:
                messages.info(request, "No price changed.")
            return redirect("agencies:rebilling")
        messages.error(request, "Nothing was saved: fix the prices marked below.")
    return render(request, "agencies/prices_edit.html", {"agency": agency, "form": form})


@agency_member_required
def prices_csv(request):
    response, writer = csv_download("prices.csv")
    writer.writerow(["item", "priced_per", "currency", "base_cost", "price", "tiers", "margin",
                     "margin_percent", "subsidised"])
    for row in agency_price_grid(agency=request.agency):
        writer.writerow([row.item.code, row.item.priced_per_label, row.currency,
                         amount_text(row.base_cost), amount_text(row.price),
                         row.tiers_text.replace("\n", "; "), amount_text(row.margin),
                         amount_text(row.margin_percent), "yes" if row.subsidized else "no"])
    return response


def history_response(request, rows, *, template, context, client_names, filename):
    """The price history page, or its CSV with `?export=csv`."""
    if request.GET.get("export") == "csv":
        response, writer = csv_download(filename)
        writer.writerow(["when", "who", "client", "item", "old", "new"])
        table = PriceHistoryTable(rows, client_names=client_names)
        for record in rows:
            writer.writerow([record.created_at.isoformat(), record.actor_label,
                             table.render_client(record), (record.after or {}).get("item"),
                             table.render_old(record), change_text(record.after)])
        return response
    table = PriceHistoryTable(rows, client_names=client_names)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(request, template, {**context, "table": table})


@agency_member_required
def history(request):
    agency = request.agency
    names = {str(pk): name for pk, name in agency.sub_accounts.values_list("pk", "name")}
    return history_response(request, price_history(agency=agency),
                            template="agencies/price_history.html",
                            context={"agency": agency},
                            client_names=names, filename="price-history.csv")
