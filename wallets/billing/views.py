"""Billing pages: the agency's dashboard, a client's usage ledger, invoices and statements;
the client admin's billing page. Agency pages resolve the agency and client through
`subaccounts.tenancy`; client pages through `client_member_required`, so another tenant's
objects are 404."""

from datetime import timedelta
from decimal import Decimal

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from agencies.tenancy import agency_member_required, is_admin
from hoopbilling.exports import csv_download, csv_stream
from hoopbilling.money import quantize_amount
from subaccounts.tenancy import agency_subaccount, client_member_required
from wallets.billing import selectors
from wallets.billing.documents import invoice_csv, invoice_pdf
from wallets.billing.forms import LedgerFilterForm
from wallets.billing.invoicing import statement_figures, wallet_money_figures
from wallets.billing.tables import InvoiceTable, LedgerTable
from wallets.ledger.models import Wallet
from wallets.ledger.selectors import wallet_credits_and_refunds

INVOICES_PER_PAGE = 50
CLIENT_INVOICES_PER_PAGE = 24
STATEMENTS_PER_PAGE = 24


@agency_member_required
def dashboard(request):
    agency = request.agency
    start, end = selectors.current_period(agency=agency)
    figures = selectors.dashboard_figures(agency=agency, start=start, end=end)
    export = request.GET.get("export")
    if export in ("clients", "items"):
        return _dashboard_csv(figures, export, start)
    chart = _money_chart([(row["day"].isoformat(), row["revenue"], row["platform_cost"],
                           row["margin"]) for row in figures["by_day"]])
    # Credits are the agency's own money: they reduce what it collected, shown apart.
    money = wallet_money_figures(agency=agency, start=start, end=end)
    money["margin_after_credits"] = figures["totals"]["margin"] - money["credits"]
    return render(request, "wallets/dashboard.html", {
        "agency": agency, "period_start": start, "period_end": end - timedelta(days=1),
        "figures": figures, "chart": chart, "money": money,
        "counts": selectors.dashboard_client_count(agency=agency),
        "suspended": selectors.suspended_clients(agency=agency),
        "owing": selectors.clients_owing(agency=agency),
        "at_limit": selectors.clients_at_credit_limit(agency=agency),
        "near_limit": selectors.clients_near_credit_limit(agency=agency),
        "forecast": selectors.topup_forecast(agency=agency),
        "attention_limit": selectors.ATTENTION_LIMIT,
        # Admins act on a client from its wallet page; staff read its ledger.
        "client_page": "payments:agency-wallet" if is_admin(request) else "wallets:ledger",
    })


def _ledger_context(request, wallet):
    form = LedgerFilterForm(request.GET or None)
    filters = form.filters()
    query = request.GET.copy()
    query.pop("before", None)
    if filters is None:
        return form, [], None, query, "Fix the filters above to see entries."
    rows, next_cursor = selectors.ledger_page(wallet=wallet, filters=filters,
                                              before=form.before)
    empty = ("No entries match these filters." if filters != selectors.LedgerFilters() else
             "No entries yet: usage, top-ups and adjustments appear here as they happen.")
    return form, rows, next_cursor, query, empty


@agency_member_required
def ledger(request, pk):
    sub_account = agency_subaccount(request, pk)
    wallet = get_object_or_404(Wallet, sub_account=sub_account)
    form, rows, next_cursor, query, empty = _ledger_context(request, wallet)
    return render(request, "wallets/ledger.html", {
        "sub_account": sub_account, "wallet": wallet, "form": form,
        "table": LedgerTable(rows, empty_text=empty), "next_cursor": next_cursor,
        "query": query.urlencode(),
        "first_page": "before" not in request.GET,
    })


def _ledger_csv(wallet, form, filename):
    filters = form.filters()
    if filters is None:
        problems = "; ".join(f"{field}: {' '.join(errors)}"
                             for field, errors in form.errors.items())
        return HttpResponseBadRequest(f"Fix the filters: {problems}",
                                      content_type="text/plain; charset=utf-8")

    def rows():
        yield ["seq", "created_at", "kind", "item", "quantity", "unit_price", "amount",
               "balance_after", "currency", "memo"]
        for entry in selectors.ledger_iter(wallet=wallet, filters=filters):
            charge = getattr(entry, "usage_charge", None)
            yield [
                entry.seq, entry.created_at.isoformat(), entry.kind,
                charge.item_id if charge else "",
                f"{charge.quantity.normalize():f}" if charge else "",
                f"{charge.unit_price.amount}" if charge and charge.unit_price else "",
                f"{entry.amount.amount}", f"{entry.balance_after.amount}", wallet.currency,
                entry.memo,
            ]

    return csv_stream(filename, rows())


@agency_member_required
def ledger_csv(request, pk):
    sub_account = agency_subaccount(request, pk)
    wallet = get_object_or_404(Wallet, sub_account=sub_account)
    return _ledger_csv(wallet, LedgerFilterForm(request.GET or None),
                       f"ledger-{sub_account.pk}.csv")


@agency_member_required
def invoice_list(request):
    invoices = selectors.invoices_of_agency(agency=request.agency)
    if request.GET.get("format") == "csv":
        response, writer = csv_download("invoices.csv")
        writer.writerow(["number", "client", "period_start", "period_end", "currency",
                         "opening_balance", "usage_total", "topups_total", "credits_total",
                         "refunds_total", "other_total", "closing_balance"])
        for i in invoices.iterator():
            writer.writerow([i.display_number, i.sub_account.name, i.period_start.isoformat(),
                             i.period_end.isoformat(), i.currency, i.opening_balance,
                             i.usage_total, i.topups_total, i.credits_total, i.refunds_total,
                             i.other_total, i.closing_balance])
        return response
    page = Paginator(invoices, INVOICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "wallets/invoice_list.html", {
        "table": InvoiceTable(list(page.object_list)), "page": page,
        "currency": request.agency.currency,
    })


def _invoice_response(request, invoice, fmt, urls):
    lines = selectors.invoice_lines(invoice=invoice)
    if fmt == "pdf":
        response = HttpResponse(invoice_pdf(invoice, lines), content_type="application/pdf")
    elif fmt == "csv":
        response = HttpResponse(invoice_csv(invoice, lines), content_type="text/csv")
    else:
        return render(request, "wallets/invoice_detail.html", {
            "invoice": invoice, "lines": lines, "urls": urls,
        })
    response["Content-Disposition"] = (
        f'attachment; filename="invoice-{invoice.display_number}.{fmt}"')
    return response


@agency_member_required
def invoice_detail(request, pk, fmt="html"):
    invoice = get_object_or_404(selectors.invoices_of_agency(agency=request.agency)
                                .select_related("agency"), pk=pk)
    urls = {"pdf": reverse("wallets:invoice-pdf", args=[invoice.pk]),
            "csv": reverse("wallets:invoice-csv", args=[invoice.pk])}
    return _invoice_response(request, invoice, fmt, urls)


def _dashboard_csv(figures: dict, export: str, start) -> HttpResponse:
    """This period's revenue, platform cost and margin by client or by item, exact."""
    response, writer = csv_download(f"{export}-{start:%Y-%m-%d}.csv")
    if export == "clients":
        writer.writerow(["sub_account", "client", "events", "revenue", "platform_cost",
                         "margin"])
        for row in figures["by_client"]:
            writer.writerow([row["sub_account_id"], row["sub_account__name"], row["count"],
                             *_amounts(row)])
    else:
        writer.writerow(["item", "quantity", "revenue", "platform_cost", "margin"])
        for row in figures["by_item"]:
            writer.writerow([row["item_id"], f"{row['quantity'].normalize():f}",
                             *_amounts(row)])
    return response


def _amounts(row) -> list[str]:
    # Sums of 6-place amounts are exact; SQLite's carry trailing zeros, so they are
    # written as the ledger writes amounts (no rounding happens here).
    return [f"{quantize_amount(row[name])}" for name in ("revenue", "platform_cost", "margin")]


def _money_chart(rows) -> dict:
    """The data static/js/dashboard-chart.js draws: (label, revenue, platform cost, margin)
    rows as strings (Decimals never pass through a float on the server)."""
    return {"labels": [row[0] for row in rows],
            **{name: [str(row[column]) for row in rows]
               for column, name in enumerate(("revenue", "platform_cost", "margin"), start=1)}}


@agency_member_required
def statements(request):
    agency = request.agency
    closed = selectors.statements_of_agency(agency=agency)
    if request.GET.get("format") == "csv":
        response, writer = csv_download("statements.csv")
        writer.writerow(["period_start", "period_end", "currency", "base_cost_rebilled",
                         "base_cost_absorbed", "platform_cost", "revenue", "margin",
                         "credits", "margin_after_credits"])
        for s in closed.iterator():
            writer.writerow([s.period.start.isoformat(), s.period.end.isoformat(), s.currency,
                             s.base_cost_rebilled, s.base_cost_absorbed, s.platform_cost,
                             s.revenue, s.margin, s.credits, s.margin_after_credits])
        return response
    start, end = selectors.current_period(agency=agency)
    page = Paginator(closed, STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "wallets/statements.html", {
        "current": statement_figures(agency=agency, start=start, end=end),
        "period_start": start, "period_end": end - timedelta(days=1), "currency": agency.currency,
        "statements": page,
        "chart": _money_chart([(s.period.start.strftime("%Y-%m"), s.revenue, s.platform_cost,
                                s.margin) for s in reversed(page.object_list)]),
    })


@client_member_required(billing=True)
def client_billing(request, sub_account_id):
    sub_account = request.sub_account
    wallet = get_object_or_404(Wallet, sub_account=sub_account)
    balance = wallet.balance.amount
    visible = sub_account.itemised_usage_visible
    return render(request, "wallets/client_billing.html", {
        "sub_account": sub_account, "wallet": wallet, "balance": balance,
        "outstanding": max(Decimal(0), -balance),
        "topups": selectors.topups_of_wallet(wallet=wallet),
        "credits_refunds": wallet_credits_and_refunds(wallet=wallet),
        "invoices": Paginator(selectors.invoices_of_client(sub_account=sub_account),
                              CLIENT_INVOICES_PER_PAGE).get_page(request.GET.get("page")),
        "itemised": visible,
        "usage": selectors.usage_of_wallet(wallet=wallet) if visible else [],
    })


@client_member_required(billing=True)
def client_usage_csv(request, sub_account_id):
    sub_account = request.sub_account
    if not sub_account.itemised_usage_visible:
        raise Http404("Itemised usage is not shared with this account.")
    wallet = get_object_or_404(Wallet, sub_account=sub_account)
    return _ledger_csv(wallet, LedgerFilterForm(request.GET or None), "usage.csv")


@client_member_required(billing=True)
def client_invoice(request, sub_account_id, pk, fmt="html"):
    invoice = get_object_or_404(
        selectors.invoices_of_client(sub_account=request.sub_account)
        .select_related("agency", "sub_account"), pk=pk)
    args = [sub_account_id, invoice.pk]
    urls = {"pdf": reverse("wallets:client-invoice-pdf", args=args),
            "csv": reverse("wallets:client-invoice-csv", args=args)}
    return _invoice_response(request, invoice, fmt, urls)
