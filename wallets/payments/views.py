"""Payment pages: the client's billing page (card, funds, top-ups, settings, its credit limit),
the agency's per-client auto top-up settings and credit limit, its notification list, and the
authentication page of a top-up. Every query is scoped through `subaccounts.tenancy`."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agencies.tenancy import agency_member_required, is_admin
from hoopbilling.errors import DomainError
from hoopbilling.exports import csv_download
from hoopbilling.forms import PlainDecimalField, RequestTokenField, domain_error_show
from hoopbilling.money import AMOUNT_MAX, TOPUP_MIN, to_minor_units
from subaccounts.services import subaccount_update
from subaccounts.tenancy import agency_subaccount, client_member_required
from wallets.ledger.credit import credit_status
from wallets.ledger.selectors import wallet_credits_and_refunds
from wallets.payments.action_forms import TokenForm, action_forms
from wallets.payments.autotopup import wallet_settings_set
from wallets.payments.cards import payment_method_attach, payment_method_confirmed
from wallets.payments.corrections import RETRYABLE, topups_refunded
from wallets.payments.gateways import gateway_for
from wallets.payments.gateways.sandbox import CHARGEABLE, DECLINED_ON_ATTACH
from wallets.payments.models import Notification, TopUp
from wallets.payments.notifications import notifications_mark_read
from wallets.payments.topups import topup_authenticated, topup_request

PAGE_SIZE = 25


def _stripe_elements_policy() -> dict:
    """What the card page with Stripe Elements adds to our Content-Security-Policy (Stripe's
    documented list): Stripe.js itself, the iframes Elements and 3-D Secure open, and the
    calls Stripe.js makes to Stripe's API. Every other page keeps `'self'` only."""
    js = urlsplit(settings.STRIPE_JS_URL)
    return {"script-src": [f"{js.scheme}://{js.netloc}"],
            "frame-src": ["https://js.stripe.com", "https://*.js.stripe.com",
                          "https://hooks.stripe.com"],
            "connect-src": ["https://api.stripe.com"]}


class AddFundsForm(forms.Form):
    amount = PlainDecimalField(maximum=AMOUNT_MAX, min_value=TOPUP_MIN, decimal_places=2)
    token = RequestTokenField()  # the top-up's request key: sent twice, charged once


class SandboxCardForm(forms.Form):
    payment_method = forms.ChoiceField(
        label="Test card", choices=[(pm, pm) for pm in [*CHARGEABLE, *DECLINED_ON_ATTACH]])


class StripeCardForm(forms.Form):
    payment_method = forms.CharField(label="Payment method id (pm_…)", max_length=255)


class AutoTopupForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Auto top-up on")
    threshold = PlainDecimalField(maximum=AMOUNT_MAX, decimal_places=2)
    # With auto top-up on, at least TOPUP_MIN: `wallet_settings_set`, the API's rule too.
    amount = PlainDecimalField(maximum=AMOUNT_MAX, decimal_places=2)
    max_balance = PlainDecimalField(maximum=AMOUNT_MAX, decimal_places=2, required=False,
                                    help_text="Empty: no cap.")


class CreditLimitForm(forms.Form):
    credit_limit = PlainDecimalField(
        label="This client's credit limit", maximum=AMOUNT_MAX, decimal_places=2,
        required=False, help_text="Empty: your default (Settings > Payments).")


def _topups_page(request, sub_account, *, actions: bool = False):
    """A page of the client's top-ups, each with what is refunded of it; with `actions` (the
    agency's page) also what is left to refund and whether it can be retried now."""
    topups = TopUp.objects.filter(sub_account=sub_account).order_by("-created_at", "-pk")
    page = Paginator(topups, PAGE_SIZE).get_page(request.GET.get("page"))
    refunded = topups_refunded(page.object_list)
    for topup in page.object_list:
        topup.refunded = refunded[topup.pk]
        if actions:
            topup.refundable = (topup.amount.amount - topup.refunded
                                if topup.status == TopUp.Status.SUCCEEDED and topup.charge_id
                                else 0)
            # Its own form: each retry button carries a token of its own.
            topup.retry_form = TokenForm() if topup.status in RETRYABLE else None
    return page


def _topups_csv(sub_account) -> HttpResponse:
    response, writer = csv_download(f"topups-{sub_account.pk}.csv")
    writer.writerow(["created_at", "amount", "currency", "trigger", "status", "attempts",
                     "settled_at"])
    for t in TopUp.objects.filter(sub_account=sub_account).order_by("-created_at", "-pk"):
        writer.writerow([t.created_at.isoformat(), f"{t.amount.amount:f}",
                         t.amount.currency.code, t.trigger, t.status, t.attempts,
                         t.settled_at.isoformat() if t.settled_at else ""])
    return response


@client_member_required
def billing_home(request, sub_account_id):
    """Client billing page: everyone in the account sees the banner; billing admins act."""
    sub_account = request.sub_account
    if request.GET.get("format") == "csv":
        if not request.client_membership.can_manage_billing:
            raise Http404
        return _topups_csv(sub_account)
    can_bill = request.client_membership.can_manage_billing
    form = AddFundsForm(request.POST or None)
    if request.method == "POST":
        if not can_bill:
            raise Http404
        if form.is_valid():
            try:
                topup = topup_request(
                    wallet_id=sub_account.wallet.pk, trigger=TopUp.Trigger.MANUAL,
                    amount=form.cleaned_data["amount"], actor=request.user,
                    request_key=f"add-funds:{form.cleaned_data['token']}")
            except DomainError as exc:
                domain_error_show(form, exc)
            else:
                _topup_message(request, topup)
                return redirect("payments:billing", sub_account_id=sub_account.pk)
    return render(request, "wallets/payments/billing.html", {
        "sub_account": sub_account, "wallet": sub_account.wallet, "form": form,
        "can_bill": can_bill, "topups": _topups_page(request, sub_account) if can_bill else None,
        "credits_refunds": (wallet_credits_and_refunds(wallet=sub_account.wallet)
                            if can_bill else None),
        "credit": credit_status(sub_account=sub_account,
                                balance=sub_account.wallet.balance.amount),
    })


def _topup_message(request, topup: TopUp) -> None:
    """Where the asked-for top-up stands (a form sent twice gets the one top-up it made)."""
    if topup.status == TopUp.Status.SUCCEEDED:
        messages.success(request, "Payment received: your balance is updated.")
    elif topup.in_flight:
        messages.success(request, "Your payment is on its way: the balance updates as soon "
                                  "as the card is charged.")
    else:
        messages.error(request, "This payment was not taken: see Top-ups below.")


@client_member_required(billing=True)
def card_set(request, sub_account_id):
    """The client's billing admin adds or replaces the card (see `card_page`)."""
    billing = redirect("payments:billing", sub_account_id=request.sub_account.pk)
    return card_page(request, request.sub_account, actor=request.user,
                     done=lambda: billing, cancel_url=billing.url)


def card_page(request, sub_account, *, actor, done, cancel_url: str, extra=None):
    """The card form, for the client's own page and the agency's card link. Sandbox: pick a
    test card. Stripe with a publishable key: Stripe Elements confirms a SetupIntent in the
    browser and posts its id. Stripe without one: a payment method id. `done()` is the answer
    once the card is saved (which retries an unpaid top-up at once)."""
    stripe_mode = bool(settings.STRIPE_SECRET_KEY)
    elements = stripe_mode and bool(settings.STRIPE_PUBLISHABLE_KEY)
    form_class = StripeCardForm if stripe_mode else SandboxCardForm
    form = form_class(request.POST or None)
    setup_intent = request.POST.get("setup_intent", "") if elements else ""
    if request.method == "POST" and (setup_intent or form.is_valid()):
        try:
            if setup_intent:
                payment_method_confirmed(sub_account=sub_account, setup_intent=setup_intent,
                                         actor=actor, actor_label="" if actor else "card link")
            else:
                payment_method_attach(sub_account=sub_account,
                                      payment_method=form.cleaned_data["payment_method"],
                                      actor=actor, actor_label="" if actor else "card link")
        except DomainError as exc:
            if not setup_intent:
                domain_error_show(form, exc)
            messages.error(request, f"{exc.message} Your previous card is kept.")
        else:
            messages.success(request, f"Card {sub_account.card_brand} ending "
                                      f"{sub_account.card_last4} saved.")
            return done()
    setup = gateway_for(sub_account.agency).setup_start(sub_account=sub_account) \
        if elements else None
    response = render(request, "wallets/payments/card.html", {
        "sub_account": sub_account, "form": form, "stripe_mode": stripe_mode,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY, "elements": elements,
        "stripe_js_url": settings.STRIPE_JS_URL, "cancel_url": cancel_url,
        "setup_client_secret": setup.client_secret if setup else "", **(extra or {}),
    })
    if elements:
        response._csp_update = _stripe_elements_policy()  # read by django-csp's middleware
    return response


@client_member_required(billing=True)
def topup_authenticate(request, sub_account_id, topup_id):
    """Complete a payment the bank wants the client to confirm (`authentication_required`)."""
    topup = get_object_or_404(TopUp, sub_account=request.sub_account, pk=topup_id)
    stripe_mode = bool(settings.STRIPE_SECRET_KEY)
    if request.method == "POST":
        if topup.status != TopUp.Status.REQUIRES_ACTION:
            messages.info(request, "This payment needs nothing more from you.")
        else:
            topup = topup_authenticated(topup_id=topup.pk)
            if topup.status == TopUp.Status.SUCCEEDED:
                messages.success(request, "Payment confirmed: your balance is updated.")
            else:
                messages.error(request, "The payment is not confirmed yet.")
        return redirect("payments:billing", sub_account_id=request.sub_account.pk)
    elements = (stripe_mode and bool(settings.STRIPE_PUBLISHABLE_KEY)
                and topup.status == TopUp.Status.REQUIRES_ACTION)
    response = render(request, "wallets/payments/authenticate.html", {
        "sub_account": request.sub_account, "topup": topup, "stripe_mode": stripe_mode,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY, "elements": elements,
        "stripe_js_url": settings.STRIPE_JS_URL,
    })
    if elements:  # Stripe.js opens the bank's confirmation (3-D Secure) on this page
        response._csp_update = _stripe_elements_policy()
    return response


def _credit_limit_post(request, sub_account, form):
    """The client's own credit limit saved (empty: the agency's); a raised one lifts a
    credit-limit suspension once it commits (`wallets.ledger.receivers`)."""
    try:
        subaccount_update(sub_account=sub_account, actor=request.user,
                          changes={"credit_limit": form.cleaned_data["credit_limit"]})
    except DomainError as exc:
        domain_error_show(form, exc)
        return None
    messages.success(request, f"Credit limit for {sub_account.name} saved.")
    return redirect("payments:agency-wallet", pk=sub_account.pk)


@agency_member_required(admin=True)
def agency_wallet_settings(request, pk):
    sub_account = agency_subaccount(request, pk)
    if request.GET.get("format") == "csv":
        return _topups_csv(sub_account)
    wallet = sub_account.wallet
    credit_post = request.method == "POST" and request.POST.get("action") == "credit_limit"
    limit_form = CreditLimitForm(request.POST if credit_post else None, initial={
        "credit_limit": (to_minor_units(sub_account.credit_limit.amount)
                         if sub_account.credit_limit else None)})
    if credit_post and limit_form.is_valid():
        response = _credit_limit_post(request, sub_account, limit_form)
        if response is not None:
            return response
    initial = {"enabled": wallet.auto_topup_enabled,
               "threshold": wallet.auto_topup_threshold.amount,
               "amount": wallet.auto_topup_amount.amount,
               "max_balance": (wallet.auto_topup_max_balance.amount
                               if wallet.auto_topup_max_balance else None)}
    form = AutoTopupForm(None if credit_post else request.POST or None, initial=initial)
    if request.method == "POST" and not credit_post and form.is_valid():
        data = form.cleaned_data
        try:
            wallet_settings_set(wallet=wallet, enabled=data["enabled"],
                                threshold=data["threshold"], amount=data["amount"],
                                max_balance=data["max_balance"], actor=request.user)
        except DomainError as exc:
            domain_error_show(form, exc)
        else:
            messages.success(request, f"Auto top-up settings for {sub_account.name} saved.")
            return redirect("payments:agency-wallet", pk=sub_account.pk)
    return render(request, "wallets/payments/agency_wallet.html", {
        "sub_account": sub_account, "wallet": wallet, "form": form,
        "topups": _topups_page(request, sub_account, actions=True), **action_forms(),
        "credit": credit_status(sub_account=sub_account, balance=wallet.balance.amount),
        "credit_limit_form": limit_form,
    })


@agency_member_required
def notifications(request):
    rows = Notification.objects.filter(agency=request.agency).select_related("sub_account")
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    if request.GET.get("format") == "csv":
        response, writer = csv_download("notifications.csv")
        writer.writerow(["created_at", "kind", "client", "message", "read_at"])
        for n in rows:
            writer.writerow([n.created_at.isoformat(), n.kind,
                             n.sub_account.name if n.sub_account else "", n.message,
                             n.read_at.isoformat() if n.read_at else ""])
        return response
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "wallets/payments/notifications.html", {
        "page": page, "is_admin": is_admin(request), "unread_only": unread_only})


@agency_member_required
@require_POST
def notifications_read(request, pk=None):
    """Mark one notification read (`pk`, the agency's: another's is a 404) or all of them."""
    if pk is not None:
        get_object_or_404(Notification, agency=request.agency, pk=pk)
    changed = notifications_mark_read(agency=request.agency, notification_id=pk)
    if pk is None:
        messages.success(request, f"{changed} notification{'s' if changed != 1 else ''} "
                                  "marked read." if changed else "Nothing was unread.")
    back = "?unread=1" if request.POST.get("unread") == "1" else ""
    return redirect(reverse("payments:notifications") + back)
