"""Tables of the agency's client pages (django-tables2)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from agencies.tables import amount_text, percent_text, price_cell


class SubAccountTable(tables.Table):
    name = tables.Column(verbose_name="Client")
    external_id = tables.Column(verbose_name="External id")
    rebilling_enabled = tables.BooleanColumn(verbose_name="Rebilled")
    suspended_at = tables.Column(verbose_name="Status", empty_values=())
    billing = tables.Column(verbose_name="", empty_values=(), orderable=False)

    class Meta:
        attrs = {"class": "grid", "id": "subaccounts"}
        per_page = 25
        empty_text = ("No clients yet. Create sub-accounts through the API "
                      "(POST /api/v1/subaccounts) and they appear here.")

    def render_suspended_at(self, record):
        return f"Suspended: {record.suspension_reason}" if record.suspended else "Active"

    def __init__(self, *args, is_admin: bool, **kwargs):
        self.is_admin = is_admin
        super().__init__(*args, **kwargs)

    def render_billing(self, record):
        links = format_html('<a href="{}">Billing settings</a> · <a href="{}">Ledger</a>',
                            reverse("subaccounts:billing", args=[record.pk]),
                            reverse("wallets:ledger", args=[record.pk]))
        if self.is_admin:
            links = format_html('{} · <a href="{}">Wallet</a>', links,
                                reverse("payments:agency-wallet", args=[record.pk]))
        return links


class ClientPriceTable(tables.Table):
    """A client's prices: what it pays, where that comes from, the agency's margin."""

    item = tables.Column(accessor="item__name", verbose_name="Item", orderable=False)
    unit = tables.Column(accessor="item__priced_per_label", verbose_name="Priced per",
                         orderable=False)
    base_cost = tables.Column(verbose_name="Base cost", orderable=False)
    price = tables.Column(verbose_name="Client pays", orderable=False, empty_values=())
    source = tables.Column(verbose_name="Source", orderable=False)
    margin = tables.Column(verbose_name="Margin", orderable=False, empty_values=())
    margin_percent = tables.Column(verbose_name="Margin %", orderable=False, empty_values=())

    class Meta:
        attrs = {"class": "grid", "id": "client-price-grid"}
        row_attrs = {"data-item": lambda record: record.item.code,
                     "class": lambda record: "subsidized" if record.subsidized else ""}

    def __init__(self, *args, sub_account, is_admin: bool, **kwargs):
        self.sub_account = sub_account
        self.is_admin = is_admin
        super().__init__(*args, **kwargs)

    def render_base_cost(self, value):
        return amount_text(value)

    def render_price(self, record):
        cell = price_cell(record)
        if record.subsidized:
            cell = format_html("{} <strong class=\"warning\">Subsidised: below base cost</strong>",
                               cell)
        return cell

    def render_source(self, record):
        if record.source != "override":
            return "Inherits agency price"
        if not self.is_admin:  # only an admin resets a price
            return "Own price"
        return format_html(
            'Own price · <a class="reset" href="{}">Reset to agency price</a>',
            reverse("subaccounts:price-reset", args=[self.sub_account.pk, record.item.code]))

    def render_margin(self, record):
        return amount_text(record.margin) if record.tiers is None else "per tier"

    def render_margin_percent(self, record):
        return percent_text(record.margin_percent) if record.tiers is None else "per tier"
