"""The agency's actions on a client, as pages (the "Actions" section of the client's wallet
page, `payments:agency-wallet`): grant a credit, refund a settled top-up, retry a top-up now,
suspend / resume, send the card link; and the card link's own page, which the client opens
without a login.

Each action is a form posted twice: first it is checked and a confirmation page shows what
will happen; confirmed, the service runs with the form's one-time token as its idempotency
key (`hoopbilling.forms.RequestTokenField`), so a double submit acts once. Agency admins
only (`agency_member_required(admin=True)`); every client and top-up is looked up within the
caller's agency, so another tenant's is a 404.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from agencies.tenancy import agency_member_required
from hoopbilling.errors import DomainError
from hoopbilling.forms import domain_error_show
from subaccounts.agency_actions import subaccount_agency_resume, subaccount_agency_suspend
from subaccounts.tenancy import agency_subaccount
from wallets.ledger.corrections import wallet_credit_grant
from wallets.payments.action_forms import (
    CardLinkForm,
    CreditForm,
    RefundForm,
    SuspendForm,
    TokenForm,
)
from wallets.payments.card_links import card_link_open, card_link_send
from wallets.payments.corrections import topup_refund, topup_refundable, topup_retry_now
from wallets.payments.models import TopUp
from wallets.payments.views import card_page


def _act(request, sub_account, *, form_class, title: str, summary, perform, initial=None,
         danger: bool = False):
    """Show the form (GET), its confirmation (first POST), or act (POST with `confirmed`):
    `perform(data, key)` returns the flash message; a refused action shows the form again
    with the error on its field."""
    back = reverse("payments:agency-wallet", kwargs={"pk": sub_account.pk})
    form = form_class(request.POST or None, initial=initial)
    confirming = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("confirmed") == "1":
            try:
                message = perform(data, f"page:{data['token']}")
            except DomainError as exc:
                form = form_class(request.POST)
                form.is_valid()
                domain_error_show(form, exc)
            else:
                messages.success(request, message)
                return redirect(back)
        else:
            confirming = True
    return render(request, "wallets/payments/agency_action.html", {
        "sub_account": sub_account, "form": form, "title": title, "back": back,
        "confirming": confirming, "danger": danger,
        "summary": summary(form.cleaned_data) if confirming else "",
        "token": form.cleaned_data.get("token") if confirming else None})


def _money(sub_account, amount) -> str:
    return f"{amount:.2f} {sub_account.agency.currency}"


@agency_member_required(admin=True)
def credit_grant(request, pk):
    sub_account = agency_subaccount(request, pk)

    def perform(data, key):
        entry, _ = wallet_credit_grant(sub_account=sub_account, amount=data["amount"],
                                       reason=data["reason"], idempotency_key=key,
                                       actor=request.user)
        return (f"Credit of {entry.amount} granted to {sub_account.name}: the balance is "
                f"{entry.balance_after}.")

    return _act(request, sub_account, form_class=CreditForm, title="Grant a credit",
                summary=lambda d: (f"Give {sub_account.name} {_money(sub_account, d['amount'])}"
                                   f" of the agency's money. Reason: {d['reason']}"),
                perform=perform)


@agency_member_required(admin=True)
def refund(request, pk, topup_id):
    sub_account = agency_subaccount(request, pk)
    topup = get_object_or_404(TopUp, sub_account=sub_account, pk=topup_id)
    left = topup_refundable(topup)

    def perform(data, key):
        done = topup_refund(topup_id=topup.pk, amount=data["amount"], reason=data["reason"],
                            idempotency_key=key, sub_account=sub_account, actor=request.user)
        return f"{done.amount} refunded to {sub_account.name}'s card."

    return _act(request, sub_account, form_class=RefundForm,
                title=f"Refund the top-up of {topup.amount} ({left:.2f} refundable)",
                initial={"amount": f"{left:.2f}"}, danger=True,
                summary=lambda d: (f"Send {_money(sub_account, d['amount'])} back to "
                                   f"{sub_account.name}'s card and take it from the wallet "
                                   f"(balance {sub_account.wallet.balance}). Reason: "
                                   f"{d['reason']}"),
                perform=perform)


@agency_member_required(admin=True)
def retry(request, pk, topup_id):
    sub_account = agency_subaccount(request, pk)
    topup = get_object_or_404(TopUp, sub_account=sub_account, pk=topup_id)

    def perform(data, key):
        done = topup_retry_now(topup_id=topup.pk, idempotency_key=key, sub_account=sub_account,
                               actor=request.user)
        return f"Top-up of {done.amount} retried: {done.get_status_display().lower()}."

    return _act(request, sub_account, form_class=TokenForm, title="Retry a top-up now",
                summary=lambda d: (f"Charge {sub_account.name}'s card {topup.amount} now "
                                   "instead of waiting for the next retry."),
                perform=perform)


@agency_member_required(admin=True)
def suspend(request, pk):
    sub_account = agency_subaccount(request, pk)

    def perform(data, key):
        subaccount_agency_suspend(sub_account=sub_account, reason=data["reason"],
                                  items=data["items"], idempotency_key=key, actor=request.user)
        return f"{sub_account.name} is suspended."

    def summary(data):
        names = dict(SuspendForm().fields["items"].choices)
        blocked = (", ".join(names[c] for c in data["items"]) if data["items"]
                   else "the agency's default items")
        return f"Suspend {sub_account.name}: block {blocked}. Reason: {data['reason']}"

    return _act(request, sub_account, form_class=SuspendForm, title="Suspend this client",
                summary=summary, perform=perform, danger=True)


@agency_member_required(admin=True)
def resume(request, pk):
    sub_account = agency_subaccount(request, pk)

    def perform(data, key):
        subaccount_agency_resume(sub_account=sub_account, idempotency_key=key,
                                 actor=request.user)
        return f"{sub_account.name} is resumed."

    return _act(request, sub_account, form_class=TokenForm, title="Resume this client",
                summary=lambda d: f"Lift the agency's suspension of {sub_account.name}.",
                perform=perform)


@agency_member_required(admin=True)
def card_link(request, pk):
    sub_account = agency_subaccount(request, pk)

    def perform(data, key):
        link = card_link_send(sub_account=sub_account, email=data["email"], actor=request.user)
        sent = (f" Emailed to {', '.join(link.emailed_to)}." if link.emailed_to else
                " Not emailed: send it to the client yourself." if not data["email"] else
                " Not emailed: the client has no billing admin with an email address.")
        return (f"Card link for {sub_account.name} (valid until "
                f"{link.expires_at:%Y-%m-%d %H:%M} UTC): {link.url}{sent}")

    return _act(request, sub_account, form_class=CardLinkForm, title="Send the card link",
                summary=lambda d: (f"Make a link, valid 7 days, with which {sub_account.name} "
                                   "adds or updates its card without logging in"
                                   + (" and email it to its billing admins." if d["email"]
                                      else ".")),
                perform=perform)


def card_link_page(request, token):
    """The page the card link opens: no login, the one client the token names."""
    opened = card_link_open(token)
    if opened is None:
        return render(request, "wallets/payments/card_link_invalid.html", status=404)
    sub_account, expires_at = opened
    return card_page(request, sub_account, actor=None, cancel_url="",
                     done=lambda: redirect(request.path),
                     extra={"link_expires_at": expires_at})
