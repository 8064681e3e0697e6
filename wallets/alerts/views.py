"""The alert pages: the agency's default (spend alerts, low-balance levels) with the history of
every client's fired alerts, and one client's alerts (the default it uses, or its own) with
its history. Agency members see them; admins change them. Every query starts from
`request.agency` (`agency_member_required`, `subaccounts.tenancy`), so another agency's
client or alert is a 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agencies.tenancy import agency_member_required, is_admin
from hoopbilling.errors import DomainError
from hoopbilling.exports import csv_download
from hoopbilling.forms import domain_error_show
from subaccounts.tenancy import agency_subaccount
from wallets.alerts import selectors, services
from wallets.alerts.forms import LowBalanceLevelsForm, SpendAlertForm
from wallets.alerts.models import SpendAlert
from wallets.alerts.tables import CSV_HEADER, FiredAlertTable, csv_row

PAGE_SIZE = 25


def _history(request, sub_account=None):
    rows = selectors.fired_alerts(request.agency, sub_account)
    if request.GET.get("format") == "csv":
        name = f"alerts-{sub_account.pk}.csv" if sub_account else "alerts.csv"
        response, writer = csv_download(name)
        writer.writerow(CSV_HEADER)
        for alert in rows.iterator():
            writer.writerow(csv_row(alert))
        return response, None
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return None, page


def _levels_form(request, settings):
    initial = {"low_balance": ", ".join(settings.low_balance_levels) if settings else ""}
    return LowBalanceLevelsForm(request.POST or None, initial=initial)


def _levels_post(request, form, *, sub_account=None) -> bool:
    if not (is_admin(request) and form.is_valid()):
        return False
    try:
        services.low_balance_levels_set(
            agency=request.agency, sub_account=sub_account,
            levels=form.cleaned_data["low_balance"], actor=request.user)
    except DomainError as exc:
        domain_error_show(form, exc, aliases={"spend": "amount"})
        return False
    messages.success(request, "Low-balance levels saved.")
    return True


@agency_member_required
def agency_alerts(request):
    settings = selectors.agency_default(request.agency)
    levels_form = _levels_form(request, settings)
    if request.method == "POST":
        if not is_admin(request):
            raise Http404("Only agency admins change alerts.")
        if _levels_post(request, levels_form):
            return redirect("alerts:agency")
    csv, page = _history(request)
    if csv:
        return csv
    return render(request, "wallets/alerts/settings.html", {
        "sub_account": None, "settings": settings, "editable": True,
        "spend_form": SpendAlertForm(), "levels_form": levels_form,
        "is_admin": is_admin(request), "page": page,
        "table": FiredAlertTable(list(page.object_list)),
    })


@agency_member_required
def client_alerts(request, pk):
    sub_account = agency_subaccount(request, pk)
    own = selectors.client_own(sub_account)
    levels_form = _levels_form(request, own)
    if request.method == "POST":
        if not is_admin(request) or own is None:
            raise Http404("Only agency admins change a client's own alerts.")
        if _levels_post(request, levels_form, sub_account=sub_account):
            return redirect("alerts:client", pk=sub_account.pk)
    csv, page = _history(request, sub_account)
    if csv:
        return csv
    return render(request, "wallets/alerts/settings.html", {
        "sub_account": sub_account, "settings": own or selectors.agency_default(request.agency),
        "editable": own is not None, "spend_form": SpendAlertForm(),
        "levels_form": levels_form, "is_admin": is_admin(request), "page": page,
        "table": FiredAlertTable(list(page.object_list)),
    })


def _back(alert: SpendAlert):
    sub_account_id = alert.settings.sub_account_id
    return (redirect("alerts:client", pk=sub_account_id) if sub_account_id
            else redirect("alerts:agency"))


@agency_member_required(admin=True)
@require_POST
def spend_alert_add(request, pk=None):
    sub_account = agency_subaccount(request, pk) if pk else None
    if sub_account is not None and selectors.client_own(sub_account) is None:
        raise Http404("This client uses the agency's alerts.")
    form = SpendAlertForm(request.POST)
    if form.is_valid():
        try:
            services.spend_alert_save(agency=request.agency, sub_account=sub_account,
                                      actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            domain_error_show(form, exc, aliases={"spend": "amount"})
    if form.errors:
        for field, errors in form.errors.items():
            label = form.fields[field].label or field.capitalize() if field in form.fields \
                else "Spend alert"
            messages.error(request, f"{label}: {' '.join(errors)}")
    else:
        messages.success(request, "Spend alert added.")
    return (redirect("alerts:client", pk=sub_account.pk) if sub_account
            else redirect("alerts:agency"))


def _spend_alert(request, alert_id) -> SpendAlert:
    return get_object_or_404(SpendAlert.objects.select_related("settings__sub_account"),
                             settings__agency=request.agency, pk=alert_id)


@agency_member_required(admin=True)
def spend_alert_edit(request, alert_id):
    alert = _spend_alert(request, alert_id)
    form = SpendAlertForm(request.POST or None, initial={"amount": alert.amount.amount,
                                                         "window": alert.window})
    if request.method == "POST" and form.is_valid():
        try:
            services.spend_alert_save(agency=request.agency, alert=alert, actor=request.user,
                                      **form.cleaned_data)
        except DomainError as exc:
            domain_error_show(form, exc, aliases={"spend": "amount"})
        else:
            messages.success(request, "Spend alert saved.")
            return _back(alert)
    return render(request, "wallets/alerts/spend_edit.html", {"alert": alert, "form": form})


@agency_member_required(admin=True)
def spend_alert_delete(request, alert_id):
    alert = _spend_alert(request, alert_id)
    if request.method == "POST":
        services.spend_alert_delete(alert=alert, actor=request.user)
        messages.success(request, "Spend alert deleted.")
        return _back(alert)
    return render(request, "confirm.html", {
        "title": "Delete this spend alert?",
        "text": (f"The alert at {services.plain(alert.amount.amount)} "
                 f"{alert.amount.currency.code} per {alert.get_window_display().lower()} "
                 "will no longer fire. Alerts it already sent stay in the history."),
        "button": "Delete the alert", "back": _back(alert).url, "danger": True})


@agency_member_required(admin=True)
@require_POST
def client_alerts_own(request, pk):
    sub_account = agency_subaccount(request, pk)
    services.alert_settings_own(sub_account=sub_account, actor=request.user)
    messages.success(request, f"{sub_account.name} now has alerts of its own, starting from "
                              "the agency's.")
    return redirect("alerts:client", pk=sub_account.pk)


@agency_member_required(admin=True)
def client_alerts_reset(request, pk):
    sub_account = agency_subaccount(request, pk)
    if request.method == "POST":
        services.alert_settings_delete(sub_account=sub_account, actor=request.user)
        messages.success(request, f"{sub_account.name} uses the agency's alerts again.")
        return redirect("alerts:client", pk=sub_account.pk)
    return render(request, "confirm.html", {
        "title": f"Use the agency's alerts for {sub_account.name}?",
        "text": ("Its own spend alerts and low-balance levels are deleted; the agency's "
                 "default applies from now on."),
        "button": "Use the agency's alerts", "danger": True,
        "back": reverse("alerts:client", args=[sub_account.pk])})
