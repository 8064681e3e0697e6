"""django-tables2 tables of the wallets pages. The ledger is paged by keyset (see
`selectors.ledger_page`), so its table is rendered from one page of rows, unordered."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from .models import Entry, Invoice


class LedgerTable(tables.Table):
    seq = tables.Column(verbose_name="#")
    created_at = tables.DateTimeColumn(verbose_name="When", format="Y-m-d H:i:s")
    kind = tables.Column()
    item = tables.Column(accessor="usage_charge__item__name", default="—")
    quantity = tables.Column(accessor="usage_charge__quantity", default="")
    unit_price = tables.Column(accessor="usage_charge__unit_price__amount", default="")
    amount = tables.Column(accessor="amount__amount", attrs={"td": {"class": "num"}})
    balance_after = tables.Column(verbose_name="Balance after", accessor="balance_after__amount",
                                  attrs={"td": {"class": "num"}})
    memo = tables.Column(default="")

    class Meta:
        model = Entry
        fields = ()
        orderable = False
        attrs = {"class": "table", "id": "ledger"}
        empty_text = "No entries match these filters."

    def render_kind(self, record):
        return record.get_kind_display()

    def render_quantity(self, value):
        return f"{value.normalize():f}"


class InvoiceTable(tables.Table):
    number = tables.Column(verbose_name="Number", accessor="display_number")
    client = tables.Column(accessor="sub_account__name")
    period_start = tables.DateColumn(verbose_name="Period from", format="Y-m-d")
    period_end = tables.DateColumn(verbose_name="to", format="Y-m-d")
    usage_total = tables.Column(verbose_name="Usage", attrs={"td": {"class": "num"}})
    topups_total = tables.Column(verbose_name="Top-ups", attrs={"td": {"class": "num"}})
    closing_balance = tables.Column(verbose_name="Closing balance", attrs={"td": {"class": "num"}})

    class Meta:
        model = Invoice
        fields = ()
        orderable = False
        attrs = {"class": "table", "id": "invoices"}
        empty_text = "No invoices yet: they are issued when a billing period closes."

    def render_number(self, record, value):
        return format_html('<a href="{}">{}</a>',
                           reverse("wallets:invoice", args=[record.pk]), value)
