"""Settings > Payments: the agency's Stripe connection, its clients' default credit limit and
what a suspension of its clients blocks. Agency admins only; everything is the caller's own
agency (`request.agency`).

Here rather than in `agencies` because the items to choose from are the catalog's."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from agencies.payment_settings import agency_stripe_connect, key_masked
from agencies.services import agency_update
from agencies.tenancy import agency_member_required
from hoopbilling.errors import DomainError
from hoopbilling.forms import PlainDecimalField, domain_error_show
from hoopbilling.money import AMOUNT_MAX, to_minor_units
from subaccounts.pricing.models import BillableItem
from subaccounts.suspension import SUSPENDED_CATEGORIES_BY_DEFAULT, agency_suspension_items_set


class StripeConnectionForm(forms.Form):
    stripe_account_id = forms.CharField(
        label="Stripe Connect account id", required=False, max_length=255,
        help_text="acct_… of your Stripe account connected to the platform.")
    stripe_restricted_key = forms.CharField(
        label="Or a restricted key", required=False, max_length=255,
        widget=forms.PasswordInput(render_value=False),
        help_text="rk_live_… with write access to Customers, SetupIntents, PaymentMethods "
                  "and PaymentIntents. Leave empty to keep the key on file.")
    remove_key = forms.BooleanField(label="Remove the restricted key on file", required=False)


class CreditLimitForm(forms.Form):
    credit_limit = PlainDecimalField(
        label="Default credit limit", maximum=AMOUNT_MAX, decimal_places=2,
        help_text="How far below zero a rebilled client's wallet may go before its blocked "
                  "items stop; 0 stops a client without funds at zero. A client's own limit "
                  "(on its wallet page) wins.")


class SuspensionItemsForm(forms.Form):
    items = forms.MultipleChoiceField(
        label="Items a suspension blocks", required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: the default, every messaging and calling item.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [
            (item.code, f"{item.name} ({item.get_category_display()})")
            for item in BillableItem.objects.order_by("position", "code")]


@agency_member_required(admin=True)
def payments_settings(request):
    agency = request.agency
    action = request.POST.get("action") if request.method == "POST" else None
    stripe_form = StripeConnectionForm(
        request.POST if action == "stripe" else None,
        initial={"stripe_account_id": agency.stripe_account_id})
    # static/js/confirm.js asks before the account cards are charged through changes
    if agency.stripe_account_id:
        stripe_form.fields["stripe_account_id"].widget.attrs["data-confirm-change"] = (
            "Change the Stripe account your clients' cards are charged through?")
    stripe_form.fields["remove_key"].widget.attrs["data-confirm-change"] = (
        "Remove the restricted key? Your clients' cards are then charged through "
        + ("your Connect account." if agency.stripe_account_id
           else "the platform's Stripe account."))
    items_form = SuspensionItemsForm(
        request.POST if action == "suspension" else None,
        initial={"items": agency.suspension_blocked_items})
    if action == "stripe" and stripe_form.is_valid():
        data = stripe_form.cleaned_data
        key = "" if data["remove_key"] else (data["stripe_restricted_key"] or None)
        try:
            agency_stripe_connect(agency=agency, account_id=data["stripe_account_id"],
                                  restricted_key=key, actor=request.user)
        except DomainError as exc:
            domain_error_show(stripe_form, exc)
        else:
            messages.success(request, "Stripe connection saved.")
            return redirect("agency_payments:settings")
    credit_form = CreditLimitForm(
        request.POST if action == "credit" else None,
        initial={"credit_limit": to_minor_units(agency.credit_limit.amount)})
    if action == "credit" and credit_form.is_valid():
        try:
            agency_update(agency=agency,
                          changes={"credit_limit": credit_form.cleaned_data["credit_limit"]},
                          actor=request.user)
        except DomainError as exc:
            domain_error_show(credit_form, exc)
        else:
            messages.success(request, "Default credit limit saved.")
            return redirect("agency_payments:settings")
    if action == "suspension" and items_form.is_valid():
        try:
            agency_suspension_items_set(agency=agency, items=items_form.cleaned_data["items"],
                                        actor=request.user)
        except DomainError as exc:
            domain_error_show(items_form, exc)
        else:
            messages.success(request, "Suspension settings saved.")
            return redirect("agency_payments:settings")
    default_items = BillableItem.objects.filter(category__in=SUSPENDED_CATEGORIES_BY_DEFAULT)
    return render(request, "agencies/payments_settings.html", {
        "agency": agency, "stripe_form": stripe_form, "items_form": items_form,
        "credit_form": credit_form,
        "key_masked": key_masked(agency.stripe_restricted_key),
        "default_items": default_items,
    })
