import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from hoopbilling.money import to_minor_units
from tests.factories import (
    AgencyFactory,
    BillableItemFactory,
    EntryFactory,
    SubAccountFactory,
    UsageChargeFactory,
)
from wallets.billing import invoicing
from wallets.billing.invoicing import (
    LedgerSummary,
    invoice_totals,
    invoices_issue,
    period_close,
    period_get_or_create,
    periods_close_due,
    statement_figures,
)
from wallets.billing.models import AgencyStatement, BillingPeriod, Invoice
from wallets.ledger.models import Entry, Wallet
from wallets.usage.models import UsageCharge

# Three places: half cents (and ties between the figures) come up often.
AMOUNTS = st.decimals(min_value=0, max_value=10**6, places=3)
SIGNED = st.decimals(min_value=-10**6, max_value=10**6, places=3)


@given(opening=SIGNED, usage=AMOUNTS, topups=AMOUNTS, other=SIGNED, credits=AMOUNTS,
       refunds=AMOUNTS)
def test_invoice_figures_add_up_on_the_face_and_stay_within_a_cent(opening, usage, topups,
                                                                   other, credits, refunds):
    closing = opening - usage + topups + credits - refunds + other
    figures = invoice_totals(LedgerSummary(opening=opening, closing=closing, usage=usage,
                                           topups=topups, other=other, entries=1,
                                           credits=credits, refunds=refunds))
    assert (figures["opening_balance"] - figures["usage_total"] + figures["topups_total"]
            + figures["credits_total"] - figures["refunds_total"]
            + figures["other_total"] == figures["closing_balance"])
    assert figures["opening_balance"] == to_minor_units(opening)
    assert figures["closing_balance"] == to_minor_units(closing)
    assert abs(figures["usage_total"] - usage) < Decimal("0.01")
    assert abs(figures["credits_total"] - credits) < Decimal("0.01")
    assert abs(figures["refunds_total"] - refunds) < Decimal("0.01")
    assert abs(figures["topups_total"] - topups) < Decimal("0.01")
    assert abs(figures["other_total"] - other) <= Decimal("0.01")
    assert figures["usage_total"] >= 0 and figures["topups_total"] >= 0


def test_when_only_the_balances_sat_on_half_a_cent_the_cent_goes_to_other():
    # owing 0.005, then a top-up of 10.005 and nothing else: -0.01 + 10.01 = 10.00 exactly,
    # so the cent cannot go to a figure whose rounding lost nothing (usage was 0)
    figures = invoice_totals(LedgerSummary(
        opening=Decimal("-0.005"), closing=Decimal("9.995"), usage=Decimal(0),
        topups=Decimal("10.000"), other=Decimal(0), entries=1))
    assert figures == {"opening_balance": Decimal("-0.01"), "closing_balance": Decimal("10.00"),
                       "usage_total": Decimal("0.00"), "topups_total": Decimal("10.00"),
                       "credits_total": Decimal("0.00"), "refunds_total": Decimal("0.00"),
                       "other_total": Decimal("0.01")}


def _current_period(agency):
    return period_get_or_create(agency=agency, moment=timezone.now())


@pytest.mark.django_db
def test_invoice_totals_equal_the_ledger_for_the_period_to_the_cent():
    # given a client with a top-up, odd-priced usage on two items and an adjustment
    client = SubAccountFactory()
    wallet = Wallet.objects.get(sub_account=client)
    EntryFactory(wallet=wallet, kind=Entry.Kind.TOPUP, amount=Decimal("50.00"))
    sms = BillableItemFactory(code="sms_outbound")
    email = BillableItemFactory(code="email_send")
    for _ in range(7):
        UsageChargeFactory(sub_account=client, item=sms, quantity=Decimal("3"),
                           unit_price=Decimal("0.0237"))
    UsageChargeFactory(sub_account=client, item=email, quantity=Decimal("2500"),
                       unit_price=Decimal("0.90"), base_cost_unit=Decimal("0.40"))
    EntryFactory(wallet=wallet, kind=Entry.Kind.ADJUSTMENT, amount=Decimal("-1.005"))
    period = _current_period(client.agency)

    # when the period closes
    result = period_close(period=period, now=period.end)

    # then the invoice matches the ledger, cent for cent
    assert result == {"invoices": 1}
    invoice = Invoice.objects.get(sub_account=client)
    usage = -Entry.objects.filter(wallet=wallet, kind="usage").aggregate(t=Sum("amount"))["t"]
    assert usage == Decimal("0.4977") + Decimal("2.25")
    assert invoice.usage_total == to_minor_units(usage) == Decimal("2.75")
    assert invoice.topups_total == Decimal("50.00")
    assert invoice.opening_balance == Decimal("0.00")
    wallet.refresh_from_db()
    assert invoice.closing_balance == to_minor_units(wallet.balance.amount)
    # -1.005 alone rounds to -1.01, but then the face would not add up (46.24, not 46.25):
    # the cent goes to the figure whose rounding lost the most
    assert invoice.other_total == Decimal("-1.00")
    assert (invoice.opening_balance - invoice.usage_total + invoice.topups_total
            + invoice.other_total == invoice.closing_balance == Decimal("46.25"))
    lines = list(invoice.lines.order_by("position"))
    assert [(line.item_id, line.quantity, line.unit_price, line.amount) for line in lines] == [
        ("sms_outbound", Decimal("21"), Decimal("0.0237"), Decimal("0.497700")),
        ("email_send", Decimal("2500"), Decimal("0.90"), Decimal("2.250000")),
    ]
    assert sum(line.amount for line in lines) == usage


@pytest.mark.django_db
def test_tiered_usage_is_one_line_with_its_tier_breakdown_summed():
    client = SubAccountFactory()
    sms = BillableItemFactory(code="sms_outbound")
    UsageChargeFactory(sub_account=client, item=sms, quantity=Decimal("12"), unit_price=None,
                       amount=Decimal("10.60"), tier_breakdown=[
                           {"up_to": "10", "price": "0.90", "quantity": "10", "amount": "9.00"},
                           {"up_to": None, "price": "0.80", "quantity": "2", "amount": "1.60"}])
    UsageChargeFactory(sub_account=client, item=sms, quantity=Decimal("3"), unit_price=None,
                       amount=Decimal("2.40"), tier_breakdown=[
                           {"up_to": None, "price": "0.80", "quantity": "3", "amount": "2.40"}])
    period = _current_period(client.agency)
    period_close(period=period, now=period.end)
    line = Invoice.objects.get(sub_account=client).lines.get()
    assert line.unit_price is None
    assert line.quantity == Decimal("15") and line.amount == Decimal("13.00")
    assert line.tiers == [
        {"up_to": "10", "price": "0.90", "quantity": "10", "amount": "9.000000"},
        {"up_to": None, "price": "0.80", "quantity": "5", "amount": "4.000000"},
    ]


@pytest.mark.django_db
def test_closing_a_period_twice_issues_nothing_new():
    agency = AgencyFactory()
    SubAccountFactory(agency=agency)
    SubAccountFactory(agency=agency)
    period = _current_period(agency)
    assert period_close(period=period, now=period.end) == {"invoices": 2}
    assert period_close(period=period, now=period.end) == {"invoices": 0}
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2]
    assert AgencyStatement.objects.filter(period=period).count() == 1


@pytest.mark.django_db
def test_clients_closed_in_batches_get_their_own_totals_and_gapless_numbers(monkeypatch):
    # given five clients, each with its own top-up and usage, closed two clients a batch
    monkeypatch.setattr(invoicing, "INVOICE_BATCH", 2)
    agency = AgencyFactory()
    sms = BillableItemFactory(code="sms_outbound")
    clients = [SubAccountFactory(agency=agency) for _ in range(5)]
    for n, client in enumerate(clients, start=1):
        EntryFactory(wallet=Wallet.objects.get(sub_account=client), kind=Entry.Kind.TOPUP,
                     amount=Decimal(10 * n))
        for _ in range(n):
            UsageChargeFactory(sub_account=client, item=sms, quantity=Decimal(n),
                               unit_price=Decimal("0.05"))
    period = _current_period(agency)

    assert period_close(period=period, now=period.end) == {"invoices": 5}

    # then numbers follow the clients' order across batches, and each invoice is its own
    invoices = {invoice.sub_account_id: invoice for invoice in Invoice.objects.all()}
    ordered = sorted(clients, key=lambda client: client.pk)
    assert [invoices[client.pk].number for client in ordered] == [1, 2, 3, 4, 5]
    for n, client in enumerate(clients, start=1):
        invoice = invoices[client.pk]
        usage = Decimal("0.05") * n * n
        assert (invoice.topups_total, invoice.usage_total) == (Decimal(10 * n), usage)
        assert invoice.closing_balance == Decimal(10 * n) - usage
        assert [(line.item_id, line.quantity, line.amount, line.charges)
                for line in invoice.lines.all()] == [("sms_outbound", n * n, usage, n)]


@pytest.mark.django_db
def test_a_close_skips_clients_already_invoiced_and_numbers_the_rest_after_them():
    agency = AgencyFactory()
    first, *others = sorted((SubAccountFactory(agency=agency) for _ in range(3)),
                            key=lambda client: client.pk)
    period = _current_period(agency)
    assert invoices_issue(period=period, sub_accounts=[others[1]], now=period.end) == 1
    assert invoices_issue(period=period, sub_accounts=[others[1]], now=period.end) == 0

    assert period_close(period=period, now=period.end) == {"invoices": 2}

    numbers = dict(Invoice.objects.values_list("sub_account_id", "number"))
    assert numbers == {others[1].pk: 1, first.pk: 2, others[0].pk: 3}


@pytest.mark.django_db
def test_a_period_that_has_not_ended_cannot_close():
    period = _current_period(AgencyFactory())
    with pytest.raises(ValueError):
        period_close(period=period, now=period.end - timedelta(seconds=1))


@pytest.mark.django_db
def test_only_rebilled_clients_or_clients_whose_wallet_moved_are_invoiced():
    agency = AgencyFactory()
    rebilled = SubAccountFactory(agency=agency)
    quiet_absorbed = SubAccountFactory(agency=agency, rebilling_enabled=False)
    moved_absorbed = SubAccountFactory(agency=agency, rebilling_enabled=False)
    EntryFactory(wallet=Wallet.objects.get(sub_account=moved_absorbed), kind="topup",
                 amount=Decimal("5"))
    period = _current_period(agency)
    period_close(period=period, now=period.end)
    invoiced = set(Invoice.objects.values_list("sub_account_id", flat=True))
    assert invoiced == {rebilled.pk, moved_absorbed.pk}
    assert quiet_absorbed.pk not in invoiced


@pytest.mark.django_db
def test_next_period_opens_with_the_previous_closing_balance():
    client = SubAccountFactory()
    EntryFactory(wallet=Wallet.objects.get(sub_account=client), kind="topup",
                 amount=Decimal("12.345"))
    this = _current_period(client.agency)
    following = period_get_or_create(agency=client.agency, moment=this.end)
    periods_close_due(following.end + timedelta(days=1))
    first, second = Invoice.objects.filter(sub_account=client).order_by("period_start")
    assert first.closing_balance == Decimal("12.35") == second.opening_balance
    assert second.closing_balance == Decimal("12.35") and second.topups_total == 0
    assert (first.number, second.number) == (1, 2)


@pytest.mark.django_db
def test_periods_close_due_closes_every_ended_period_once():
    agency = AgencyFactory()
    SubAccountFactory(agency=agency)
    later = timezone.now() + timedelta(days=95)
    first = periods_close_due(later)
    assert first["periods_closed"] >= 3 and first["invoices_issued"] == first["periods_closed"]
    assert periods_close_due(later) == {"periods_closed": 0, "invoices_issued": 0}
    assert not BillingPeriod.objects.filter(agency=agency, closed_at__isnull=True,
                                            end__lte=later).exists()


@pytest.mark.django_db
def test_agency_statement_equals_the_sum_of_base_costs_rebilled_and_absorbed():
    agency = AgencyFactory()
    rebilled = SubAccountFactory(agency=agency)
    absorbed = SubAccountFactory(agency=agency, rebilling_enabled=False)
    sms = BillableItemFactory(code="sms_outbound")
    call = BillableItemFactory(code="call_outbound")
    UsageChargeFactory(sub_account=rebilled, item=sms, quantity=Decimal("5"),
                       unit_price=Decimal("0.02"), base_cost_unit=Decimal("0.0079"))
    UsageChargeFactory(sub_account=rebilled, item=call, quantity=Decimal("3"),
                       unit_price=Decimal("0.05"), base_cost_unit=Decimal("0.0131"))
    UsageChargeFactory(sub_account=absorbed, item=sms, quantity=Decimal("7"),
                       unit_price=Decimal("0.0079"), base_cost_unit=Decimal("0.0079"),
                       billed_to=UsageCharge.BilledTo.AGENCY)
    period = _current_period(agency)
    period_close(period=period, now=period.end)
    statement = AgencyStatement.objects.get(period=period)
    charges = UsageCharge.objects.filter(agency=agency)
    assert statement.platform_cost == charges.aggregate(t=Sum("base_cost_amount"))["t"]
    assert statement.platform_cost == Decimal("0.0395") + Decimal("0.0393") + Decimal("0.0553")
    assert statement.base_cost_absorbed == Decimal("0.0553")
    assert statement.revenue == Decimal("0.25")
    assert statement.margin == Decimal("0.25") - statement.platform_cost
    live = statement_figures(agency=agency, start=period.start, end=period.end)
    assert live["margin"] == statement.margin


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_issued_invoice_and_its_lines_cannot_be_changed_or_deleted():
    client = SubAccountFactory()
    UsageChargeFactory(sub_account=client)
    period = _current_period(client.agency)
    period_close(period=period, now=period.end)
    invoice = Invoice.objects.get(sub_account=client)
    for statement, params in [
        ("UPDATE wallets_invoice SET usage_total = 0 WHERE id = %s", [invoice.pk]),
        ("DELETE FROM wallets_invoice WHERE id = %s", [invoice.pk]),
        ("UPDATE wallets_invoiceline SET amount = 0 WHERE invoice_id = %s", [invoice.pk]),
        ("DELETE FROM wallets_agencystatement WHERE period_id = %s", [period.pk]),
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(statement, params)
    assert Invoice.objects.get(pk=invoice.pk).usage_total == invoice.usage_total


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_invoice_numbers_stay_gapless_under_concurrent_period_closes():
    # given one agency with 3 clients and 4 ended periods, each closed by two threads at once
    agency = AgencyFactory()
    for _ in range(3):
        SubAccountFactory(agency=agency)
    first = _current_period(agency)
    periods = [first]
    for _ in range(3):
        periods.append(period_get_or_create(agency=agency, moment=periods[-1].end))
    now = periods[-1].end + timedelta(days=1)
    errors = []
    barrier = threading.Barrier(8)

    def close(period):
        try:
            barrier.wait()
            period_close(period=period, now=now)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=close, args=(p,)) for p in periods for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then 12 invoices numbered 1..12, one per client and period
    assert errors == []
    numbers = sorted(Invoice.objects.filter(agency=agency).values_list("number", flat=True))
    assert numbers == list(range(1, 13))
    assert Invoice.objects.values("period", "sub_account").distinct().count() == 12


@pytest.mark.django_db
def test_run_billing_jobs_includes_period_closes():
    from datetime import timedelta

    from wallets.billing.jobs import billing_jobs_run

    sub_account = SubAccountFactory()
    counts = billing_jobs_run(sub_account.agency.created_at + timedelta(days=40))
    assert counts["periods_closed"] >= 1
    assert Invoice.objects.filter(sub_account=sub_account).exists()
