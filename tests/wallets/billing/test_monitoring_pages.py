import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AgencyMembershipFactory,
    BillableItemFactory,
    ClientMembershipFactory,
    EntryFactory,
    SubAccountFactory,
    UsageChargeFactory,
    wallet_with_card,
)
from wallets.billing.invoicing import invoices_issue, period_close, period_get_or_create
from wallets.billing.models import Invoice
from wallets.billing.selectors import current_period, topup_forecast
from wallets.ledger.models import Wallet
from wallets.usage.models import UsageDaily

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def agency_admin(client):
    membership = AgencyMembershipFactory()
    client.force_login(membership.user)
    return membership


def _client_with_usage(agency, *, visible=True, events=3):
    sub_account = SubAccountFactory(agency=agency, itemised_usage_visible=visible)
    EntryFactory(wallet=Wallet.objects.get(sub_account=sub_account), kind="topup",
                 amount=Decimal("10"))
    sms = BillableItemFactory(code="sms_outbound")
    for _ in range(events):
        UsageChargeFactory(sub_account=sub_account, item=sms, quantity=Decimal("2"),
                           unit_price=Decimal("0.05"), base_cost_unit=Decimal("0.01"))
    return sub_account


def _close(agency):
    period = period_get_or_create(agency=agency, moment=timezone.now())
    period_close(period=period, now=period.end)
    return period


def test_dashboard_shows_this_periods_revenue_cost_and_margin(client, agency_admin):
    sub_account = _client_with_usage(agency_admin.agency)
    SubAccountFactory(agency=agency_admin.agency, suspended_at=timezone.now(),
                      suspension_reason="payment_failed",
                      suspension_note="Top-up failed 3 times", name="Late Payer")
    response = client.get(reverse("wallets:dashboard"))
    assert response.status_code == 200
    totals = response.context["figures"]["totals"]
    assert totals["revenue"] == Decimal("0.30")
    assert totals["platform_cost"] == Decimal("0.06")
    assert totals["margin"] == Decimal("0.24")
    html = response.content.decode()
    assert 'id="daily-chart"' in html and "vendor/chart.umd.min.js" in html
    assert "Late Payer" in html and sub_account.name in html
    forecast = response.context["forecast"]
    assert [row["sub_account_id"] for row in forecast] == [sub_account.pk]
    # 9.70 left at 0.30 / 7 days a day
    assert forecast[0]["days"] == Decimal("226.3")


def test_dashboard_breaks_the_period_down_by_item_client_and_day(client, agency_admin):
    agency = agency_admin.agency
    first_day = current_period(agency=agency)[0].date()
    today = timezone.now().date()
    bakery = SubAccountFactory(agency=agency, name="Bakery")
    yoga = SubAccountFactory(agency=agency, name="Yoga")
    sms, email = BillableItemFactory(code="sms_outbound"), BillableItemFactory(code="email_send")
    rollups = [(bakery, sms, first_day, "wallet", "10", "0.50", "0.10", 4),
               (bakery, email, today, "wallet", "1000", "1.20", "0.40", 2),
               (yoga, sms, today, "agency", "6", "0.30", "0.06", 3),  # absorbed: no revenue
               (bakery, sms, first_day - timedelta(days=1), "wallet", "9", "9", "9", 9)]
    for sub_account, item, day, billed_to, quantity, amount, base_cost, count in rollups:
        UsageDaily.objects.create(agency=agency, sub_account=sub_account, item=item, day=day,
                                  billed_to=billed_to, quantity=Decimal(quantity),
                                  amount=Decimal(amount), base_cost=Decimal(base_cost),
                                  count=count)

    figures = client.get(reverse("wallets:dashboard")).context["figures"]

    assert figures["totals"]["revenue"] == Decimal("1.70")
    assert figures["totals"]["platform_cost"] == Decimal("0.56")
    items = {row["item_id"]: (row["item__name"], row["quantity"], row["revenue"],
                              row["platform_cost"], row["margin"]) for row in figures["by_item"]}
    assert items == {"sms_outbound": ("Outbound SMS", 16, Decimal("0.50"), Decimal("0.16"),
                                      Decimal("0.34")),
                     "email_send": ("Email", 1000, Decimal("1.20"), Decimal("0.40"),
                                    Decimal("0.80"))}
    assert [row["item_id"] for row in figures["by_item"]] == [
        item.code for item in sorted([sms, email], key=lambda item: item.position)]
    assert [(row["sub_account__name"], row["count"], row["revenue"], row["platform_cost"],
             row["margin"]) for row in figures["by_client"]] == [
        ("Bakery", 6, Decimal("1.70"), Decimal("0.50"), Decimal("1.20")),
        ("Yoga", 3, Decimal("0"), Decimal("0.06"), Decimal("-0.06"))]
    expected = {first_day + timedelta(days=n): [Decimal(0), Decimal(0)]
                for n in range((today - first_day).days + 1)}
    for day, revenue, cost in [(first_day, "0.50", "0.10"), (today, "1.20", "0.40"),
                               (today, "0", "0.06")]:
        expected[day][0] += Decimal(revenue)
        expected[day][1] += Decimal(cost)
    assert [(row["day"], row["revenue"], row["platform_cost"], row["margin"])
            for row in figures["by_day"]] == [
        (day, revenue, cost, revenue - cost) for day, (revenue, cost) in expected.items()]


def test_forecast_counts_down_to_the_threshold_soonest_first(agency_admin):
    agency = agency_admin.agency
    today = timezone.now().date()
    sms = BillableItemFactory(code="sms_outbound")
    auto = wallet_with_card(agency=agency, balance="12", auto={
        "threshold": Decimal("5"), "amount": Decimal("20")})
    plain = wallet_with_card(agency=agency, payment_method=None, balance="3")
    owing = wallet_with_card(agency=agency, payment_method=None, balance="-2")
    idle = wallet_with_card(agency=agency, payment_method=None, balance="10")
    for wallet, days_ago, billed_to, amount in [
            (auto, 0, "wallet", "4"), (auto, 6, "wallet", "3"), (plain, 1, "wallet", "14"),
            (owing, 2, "wallet", "0.7"), (idle, 7, "wallet", "5"), (idle, 0, "agency", "5")]:
        UsageDaily.objects.create(agency=agency, sub_account_id=wallet.sub_account_id, item=sms,
                                  day=today - timedelta(days=days_ago), billed_to=billed_to,
                                  quantity=Decimal("1"), amount=Decimal(amount),
                                  base_cost=Decimal("0.01"), count=1)

    forecast = topup_forecast(agency=agency, today=today)

    assert [(row["sub_account_id"], row["balance"], row["daily_burn"], row["days"])
            for row in forecast] == [
        (owing.sub_account_id, Decimal("-2"), Decimal("0.1"), Decimal("0.0")),
        (plain.sub_account_id, Decimal("3"), Decimal("2"), Decimal("1.5")),
        (auto.sub_account_id, Decimal("12"), Decimal("1"), Decimal("7.0"))]
    assert [row["sub_account_id"] for row in topup_forecast(agency=agency, limit=2)] == [
        owing.sub_account_id, plain.sub_account_id]


def test_dashboard_without_usage_has_an_empty_state(client, agency_admin):
    response = client.get(reverse("wallets:dashboard"))
    assert "No usage yet this period" in response.content.decode()


def test_ledger_pages_by_keyset_and_filters_by_kind(client, agency_admin):
    sub_account = _client_with_usage(agency_admin.agency, events=60)
    url = reverse("wallets:ledger", args=[sub_account.pk])
    first = client.get(url)
    rows = list(first.context["table"].rows)
    assert len(rows) == 50 and rows[0].record.seq == 61
    older = client.get(url, {"before": first.context["next_cursor"]})
    assert [r.record.seq for r in older.context["table"].rows] == list(range(11, 0, -1))
    assert older.context["next_cursor"] is None
    topups = client.get(url, {"kind": "topup"})
    assert [r.record.kind for r in topups.context["table"].rows] == ["topup"]
    by_item = client.get(url, {"item": "email_send"})
    assert "No entries match these filters." in by_item.content.decode()
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    assert not list(client.get(url, {"date_from": tomorrow}).context["table"].rows)


def test_ledger_rows_show_each_entrys_charge_or_a_dash(client, agency_admin):
    sub_account = SubAccountFactory(agency=agency_admin.agency)
    EntryFactory(wallet=Wallet.objects.get(sub_account=sub_account), kind="topup",
                 amount=Decimal("10"), memo="<b>card</b>")
    UsageChargeFactory(sub_account=sub_account, item=BillableItemFactory(code="sms_outbound"),
                       quantity=Decimal("2.50"), unit_price=Decimal("0.05"))
    UsageChargeFactory(sub_account=sub_account, item=BillableItemFactory(code="email_send"),
                       quantity=Decimal("3"), unit_price=None, amount=Decimal("0.004"),
                       tier_breakdown=[{"up_to": None, "price": "1.20", "quantity": "3",
                                        "amount": "0.004"}])
    html = client.get(reverse("wallets:ledger", args=[sub_account.pk])).content.decode()
    rows = [[cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2:]]
            for row in re.findall(r"<tr class=.*?</tr>", html, re.S)]
    # newest first: the tiered email (no unit price), the SMS, the top-up (no charge)
    assert rows[0][:6] == ["Usage charge", "Email", "3", "", "-0.004000", "9.871000"]
    assert rows[1][:6] == ["Usage charge", "Outbound SMS", "2.5", "0.050000", "-0.125000",
                           "9.875000"]
    assert rows[2] == ["Top-up", "—", "", "", "10.000000", "10.000000",
                       "&lt;b&gt;card&lt;/b&gt;"]


def test_ledger_csv_exports_the_filtered_view(client, agency_admin):
    sub_account = _client_with_usage(agency_admin.agency, events=4)
    response = client.get(reverse("wallets:ledger-csv", args=[sub_account.pk]),
                          {"kind": "usage"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["seq", "created_at", "kind", "item"]
    assert [row[2] for row in rows[1:]] == ["usage"] * 4
    assert {row[3] for row in rows[1:]} == {"sms_outbound"}
    assert rows[1][6] == "-0.100000"


def test_bad_ledger_filters_list_and_export_nothing_and_say_why(client, agency_admin):
    sub_account = _client_with_usage(agency_admin.agency, events=4)
    backwards = {"kind": "usage", "date_from": "2026-02-10", "date_to": "2026-02-01"}
    page = client.get(reverse("wallets:ledger", args=[sub_account.pk]), backwards)
    assert not list(page.context["table"].rows)
    html = page.content.decode()
    assert "The end date is before the start date." in html
    assert "Fix the filters above to see entries." in html
    export = client.get(reverse("wallets:ledger-csv", args=[sub_account.pk]), backwards)
    assert export.status_code == 400
    assert "date_to: The end date is before the start date." in export.content.decode()
    fresh = SubAccountFactory(agency=agency_admin.agency)
    assert "No entries yet" in client.get(
        reverse("wallets:ledger", args=[fresh.pk])).content.decode()


def test_invoice_pages_and_downloads(client, agency_admin):
    sub_account = _client_with_usage(agency_admin.agency)
    _close(agency_admin.agency)
    invoice = Invoice.objects.get(sub_account=sub_account)
    listing = client.get(reverse("wallets:invoices"))
    assert invoice.display_number in listing.content.decode()
    detail = client.get(reverse("wallets:invoice", args=[invoice.pk]))
    assert "0.30" in detail.content.decode()
    pdf = client.get(reverse("wallets:invoice-pdf", args=[invoice.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    rows = list(csv.reader(io.StringIO(
        client.get(reverse("wallets:invoice-csv", args=[invoice.pk])).content.decode())))
    assert ["sms_outbound", "6", "0.05", "", "0.300000"] in rows
    assert ["usage_total", "0.30"] in rows
    # a period shows as its first and last day (its end is the next one's first moment)
    last_day = (invoice.period_end - timedelta(days=1)).date().isoformat()
    assert f"{invoice.period_start.date().isoformat()} – {last_day}" in detail.content.decode()
    assert invoice.period_end.date().isoformat() not in listing.content.decode()
    exported = list(csv.DictReader(io.StringIO(
        client.get(reverse("wallets:invoices"), {"format": "csv"}).content.decode())))
    assert [(row["number"], row["client"], row["usage_total"], row["currency"])
            for row in exported] == [(invoice.display_number, sub_account.name, "0.30", "USD")]


def test_a_client_pages_through_all_its_invoices(client):
    membership = ClientMembershipFactory()
    sub_account = membership.sub_account
    agency = sub_account.agency
    moment = timezone.now()
    for _ in range(26):  # more than a page
        period = period_get_or_create(agency=agency, moment=moment)
        invoices_issue(period=period, sub_accounts=[sub_account])
        moment = period.start - timedelta(days=1)
    client.force_login(membership.user)
    url = reverse("wallets:client-billing", args=[sub_account.pk])
    first = client.get(url)
    older = client.get(url, {"page": 2})
    assert len(first.context["invoices"]) == 24 and len(older.context["invoices"]) == 2
    assert "Older »" in first.content.decode()


def test_dashboard_exports_this_periods_figures_by_client_and_by_item(client, agency_admin):
    sub_account = _client_with_usage(agency_admin.agency)
    clients = list(csv.DictReader(io.StringIO(
        client.get(reverse("wallets:dashboard"), {"export": "clients"}).content.decode())))
    assert [(row["client"], row["events"], row["revenue"], row["platform_cost"], row["margin"])
            for row in clients] == [(sub_account.name, "3", "0.300000", "0.060000",
                                     "0.240000")]
    items = list(csv.DictReader(io.StringIO(
        client.get(reverse("wallets:dashboard"), {"export": "items"}).content.decode())))
    assert [(row["item"], row["revenue"]) for row in items] == [("sms_outbound", "0.300000")]


def test_statement_page_shows_platform_cost_and_margin(client, agency_admin):
    _client_with_usage(agency_admin.agency)
    _close(agency_admin.agency)
    response = client.get(reverse("wallets:statements"))
    statement = response.context["statements"][0]
    assert statement.platform_cost == Decimal("0.06") and statement.margin == Decimal("0.24")
    # the closed periods as a chart (amounts as strings) and as a CSV
    assert response.context["chart"] == {
        "labels": [statement.period.start.strftime("%Y-%m")], "revenue": ["0.300000"],
        "platform_cost": ["0.060000"], "margin": ["0.240000"]}
    assert 'data-source="statement-chart-data"' in response.content.decode()
    exported = list(csv.DictReader(io.StringIO(
        client.get(reverse("wallets:statements"), {"format": "csv"}).content.decode())))
    assert [(row["revenue"], row["platform_cost"], row["margin"]) for row in exported] == [
        ("0.300000", "0.060000", "0.240000")]


def test_another_agencys_client_and_invoice_pages_are_404(client, agency_admin):
    other = _client_with_usage(SubAccountFactory().agency)
    _close(other.agency)
    invoice = Invoice.objects.get(sub_account=other)
    for url in [reverse("wallets:ledger", args=[other.pk]),
                reverse("wallets:ledger-csv", args=[other.pk]),
                reverse("wallets:invoice", args=[invoice.pk]),
                reverse("wallets:invoice-pdf", args=[invoice.pk]),
                reverse("wallets:invoice-csv", args=[invoice.pk])]:
        assert client.get(url).status_code == 404, url
    assert invoice.display_number not in client.get(reverse("wallets:invoices")).content.decode()


def test_client_billing_page_shows_balance_outstanding_topups_and_usage(client):
    sub_account = _client_with_usage(SubAccountFactory().agency)
    EntryFactory(wallet=Wallet.objects.get(sub_account=sub_account), kind="adjustment",
                 amount=Decimal("-12.5"))
    membership = ClientMembershipFactory(sub_account=sub_account)
    client.force_login(membership.user)
    response = client.get(reverse("wallets:client-billing", args=[sub_account.pk]))
    assert response.status_code == 200
    assert response.context["balance"] == Decimal("-2.80")
    assert response.context["outstanding"] == Decimal("2.80")
    assert len(response.context["topups"]) == 1
    assert len(response.context["usage"]) == 3
    usage_csv = client.get(reverse("wallets:client-usage-csv", args=[sub_account.pk]))
    assert usage_csv.status_code == 200


def test_client_without_itemised_visibility_gets_no_itemised_rows_anywhere(client):
    sub_account = _client_with_usage(SubAccountFactory().agency, visible=False)
    _close(sub_account.agency)
    invoice = Invoice.objects.get(sub_account=sub_account)
    membership = ClientMembershipFactory(sub_account=sub_account)
    client.force_login(membership.user)
    page = client.get(reverse("wallets:client-billing", args=[sub_account.pk]))
    assert page.context["usage"] == []
    assert 'id="usage-rows"' not in page.content.decode()
    assert "not line-by-line usage" in page.content.decode()
    assert client.get(reverse("wallets:client-usage-csv",
                              args=[sub_account.pk])).status_code == 404
    # the invoice still reaches the client, with per-item totals only
    rows = list(csv.reader(io.StringIO(client.get(reverse(
        "wallets:client-invoice-csv", args=[sub_account.pk, invoice.pk])).content.decode())))
    assert [row[0] for row in rows if row and row[0] == "sms_outbound"] == ["sms_outbound"]


def test_client_pages_are_404_for_other_clients_and_users_without_billing(client):
    mine = ClientMembershipFactory()
    other = _client_with_usage(SubAccountFactory().agency)
    _close(other.agency)
    invoice = Invoice.objects.get(sub_account=other)
    client.force_login(mine.user)
    for url in [reverse("wallets:client-billing", args=[other.pk]),
                reverse("wallets:client-usage-csv", args=[other.pk]),
                reverse("wallets:client-invoice", args=[other.pk, invoice.pk]),
                reverse("wallets:client-invoice", args=[mine.sub_account_id, invoice.pk]),
                reverse("wallets:client-invoice-pdf", args=[mine.sub_account_id, invoice.pk])]:
        assert client.get(url).status_code == 404, url
    plain = ClientMembershipFactory(sub_account=other, role="user", can_manage_billing=False)
    client.force_login(plain.user)
    assert client.get(reverse("wallets:client-billing", args=[other.pk])).status_code == 404


def test_agency_pages_need_an_agency_membership(client):
    membership = ClientMembershipFactory()
    client.force_login(membership.user)
    assert client.get(reverse("wallets:dashboard")).status_code == 404
    client.logout()
    assert client.get(reverse("wallets:dashboard")).status_code == 302
