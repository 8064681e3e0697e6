"""django-tables2 tables of the wallets pages. The ledger is paged by keyset (see
`selectors.ledger_page`), so its table is rendered from one page of rows, unordered."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import localize
from django.utils.html import format_html

from wallets.billing.models import Invoice
from wallets.ledger.models import Entry
from wallets.usage.charging import plain_quantity

DATE_TIME = "Y-m-d H:i:s"


class LedgerTable(tables.Table):
    """The columns give the header, the empty text and `rows` (one per record); the body is
    `html_rows`, each row built by one `format_html`. tables2's generic cell path (accessor
    lookups, a signature inspection per `render_*` call, a template per date, one template
    variable per cell) was most of the page's time for 50 rows of a fixed shape."""

    seq = tables.Column(verbose_name="#")
    created_at = tables.DateTimeColumn(verbose_name="When")
    kind = tables.Column()
    item = tables.Column(accessor="usage_charge__item__name")
    quantity = tables.Column(accessor="usage_charge__quantity")
    unit_price = tables.Column(accessor="usage_charge__unit_price__amount")
    amount = tables.Column(accessor="amount__amount")
    balance_after = tables.Column(verbose_name="Balance after", accessor="balance_after__amount")
    memo = tables.Column()

    class Meta:
        model = Entry
        fields = ()
        orderable = False
        template_name = "wallets/ledger_table.html"
        attrs = {"class": "table", "id": "ledger"}
        empty_text = "No entries match these filters."

    def html_rows(self):
        return [_ledger_row(entry, "odd" if index % 2 else "even")
                for index, entry in enumerate(self.data)]


def _ledger_row(entry: Entry, parity: str):
    charge = getattr(entry, "usage_charge", None)
    unit_price = charge.unit_price if charge else None
    return format_html(
        '<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
        '<td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>',
        parity, entry.seq, dateformat.format(timezone.localtime(entry.created_at), DATE_TIME),
        entry.get_kind_display(), charge.item.name if charge else "—",
        plain_quantity(charge.quantity) if charge else "",
        localize(unit_price.amount) if unit_price is not None else "",
        localize(entry.amount.amount), localize(entry.balance_after.amount), entry.memo,
    )


class InvoiceTable(tables.Table):
    number = tables.Column(verbose_name="Number", accessor="display_number")
    client = tables.Column(accessor="sub_account__name")
    period_start = tables.DateColumn(verbose_name="Period from", format="Y-m-d")
    period_end = tables.DateColumn(verbose_name="to", format="Y-m-d", accessor="period_last_day")
    usage_total = tables.Column(verbose_name="Usage", attrs={"td": {"class": "num"}})
    topups_total = tables.Column(verbose_name="Top-ups", attrs={"td": {"class": "num"}})
    credits_total = tables.Column(verbose_name="Credits", attrs={"td": {"class": "num"}})
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
