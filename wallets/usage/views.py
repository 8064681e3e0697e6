"""The bulk action of Settings > Rebilling: "set every price to base cost × N", previewed by
the margin simulator before anything is saved.

It lives in `wallets` because the simulator reads usage charges, and `agencies` must not
depend on `wallets`. GET previews (agency staff may look); POST from the preview saves
(agency admins only), every price or none.
"""

from decimal import Decimal

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render

from agencies.models import AgencyMembership
from agencies.tenancy import agency_member_required
from hoopbilling.errors import InvalidInput
from hoopbilling.money import quantize_amount
from subaccounts.pricing.forms import BulkMarkupForm
from subaccounts.pricing.rules import price_validate
from subaccounts.pricing.selectors import agency_price_grid
from subaccounts.pricing.services import price_set
from wallets.usage.margin_simulator import margin_simulate


def _proposal(agency, multiplier: Decimal, subsidize: bool):
    """(grid row, proposed price) per item, checked by the price rules."""
    proposal = []
    for row in agency_price_grid(agency=agency):
        price = quantize_amount(row.base_cost * multiplier)
        price_validate(item=row.item, currency=agency.currency, base_cost=row.base_cost,
                       price=price, subsidize=subsidize)
        proposal.append((row, price))
    return proposal


@agency_member_required
def bulk(request):
    agency = request.agency
    is_admin = request.agency_membership.role == AgencyMembership.Role.ADMIN
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = BulkMarkupForm(data)
    proposal = simulation = None
    if form.is_valid():
        multiplier, subsidize = form.cleaned_data["multiplier"], form.cleaned_data["subsidize"]
        try:
            proposal = _proposal(agency, multiplier, subsidize)
        except InvalidInput as exc:
            form.add_error("subsidize" if exc.code == "below_base_cost" else "multiplier",
                           exc.message)
    if proposal is not None and request.method == "POST":
        if not is_admin:
            raise Http404("Only an agency admin changes prices.")
        with transaction.atomic():
            for row, price in proposal:
                price_set(agency=agency, item=row.item, price=price, subsidize=subsidize,
                          actor=request.user)
        messages.success(request, f"Every price is now the base cost × {multiplier}.")
        return redirect("agencies:rebilling")
    if proposal is not None:
        simulation = margin_simulate(
            agency=agency, proposed={row.item.code: price for row, price in proposal})
    return render(request, "wallets/bulk_markup.html", {
        "agency": agency, "form": form, "proposal": proposal, "simulation": simulation,
        "is_admin": is_admin,
    })
