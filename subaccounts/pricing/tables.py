"""Tables of the price pages (django-tables2): the agency's grid, a client's prices and the
price history."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from subaccounts.pricing.models import BillableItem
from subaccounts.pricing.rules import PriceRow


def amount_text(value) -> str:
    return "—" if value is None else f"{value:f}"


def percent_text(value) -> str:
    return "—" if value is None else f"{value:f} %"


def price_cell(row: PriceRow):
    """A flat price, or one line per tier with its own margin."""
    if row.tiers is None:
        return amount_text(row.price)
    return format_html_join(
        "", "<div class=\"tier\">{}: {} <span class=\"muted\">(margin {}, {})</span></div>",
        ((("up to " + amount_text(t["up_to"])) if t["up_to"] is not None else "above",
          amount_text(t["price"]), amount_text(t["margin"]), percent_text(t["margin_percent"]))
         for t in row.tier_rows))


class PriceListTable(tables.Table):
    """What both price grids show of a row of the agency's price list (`PriceRow`): the item,
    its base cost, the price (flagged when subsidised) and the agency's margin."""

    item = tables.Column(accessor="item__name", verbose_name="Item", orderable=False)
    unit = tables.Column(accessor="item__priced_per_label", verbose_name="Priced per",
                         orderable=False)
    base_cost = tables.Column(verbose_name="Base cost", orderable=False)
    price = tables.Column(verbose_name="Price", orderable=False, empty_values=())
    margin = tables.Column(verbose_name="Margin", orderable=False, empty_values=())
    margin_percent = tables.Column(verbose_name="Margin %", orderable=False, empty_values=())

    class Meta:
        attrs = {"class": "grid"}
        row_attrs = {"data-item": lambda record: record.item.code,
                     "class": lambda record: "subsidized" if record.subsidized else ""}
        sequence = ("item", "unit", "base_cost", "price", "...", "margin", "margin_percent")

    def render_base_cost(self, value):
        return amount_text(value)

    def render_price(self, record):
        cell = price_cell(record)
        if record.subsidized:
            cell = format_html("{} <strong class=\"warning\">Subsidised: below base cost</strong>",
                               cell)
        return cell

    def render_margin(self, record):
        return amount_text(record.margin) if record.tiers is None else "per tier"

    def render_margin_percent(self, record):
        return percent_text(record.margin_percent) if record.tiers is None else "per tier"


class PriceGridTable(PriceListTable):
    """The agency's grid: one row per billable item, its price for every client."""

    price = tables.Column(verbose_name="Your price", orderable=False, empty_values=())

    class Meta(PriceListTable.Meta):
        attrs = {"class": "grid", "id": "price-grid"}

    def render_price(self, record):
        cell = super().render_price(record)
        if record.source == "base_cost":
            cell = format_html("{} <span class=\"muted\">(base cost, no price set)</span>", cell)
        return cell


class ClientPriceTable(PriceListTable):
    """A client's prices: what it pays, where that comes from, the agency's margin."""

    price = tables.Column(verbose_name="Client pays", orderable=False, empty_values=())
    source = tables.Column(verbose_name="Source", orderable=False)

    class Meta(PriceListTable.Meta):
        attrs = {"class": "grid", "id": "client-price-grid"}

    def __init__(self, *args, sub_account, is_admin: bool, **kwargs):
        self.sub_account = sub_account
        self.is_admin = is_admin
        super().__init__(*args, **kwargs)

    def render_source(self, record):
        if record.source != "override":
            return "Inherits agency price"
        if not self.is_admin:  # only an admin resets a price
            return "Own price"
        return format_html(
            'Own price · <a class="reset" href="{}">Reset to agency price</a>',
            reverse("subaccounts:price-reset", args=[self.sub_account.pk, record.item.code]))


def change_text(value) -> str:
    """An audit log's before/after price as people read it."""
    if value is None:
        return "—"
    if value.get("cleared"):
        return "reset to agency price"
    if value.get("tiers"):
        return "; ".join(f"{'up to ' + t['up_to'] if t['up_to'] else 'above'}: {t['price']}"
                         for t in value["tiers"])
    text = value.get("price") or "—"
    return f"{text} (subsidised)" if value.get("subsidize") else text


class PriceHistoryTable(tables.Table):
    """Price changes from the audit log: who, when, which price, old and new."""

    created_at = tables.DateTimeColumn(verbose_name="When", format="Y-m-d H:i:s")
    actor_label = tables.Column(verbose_name="Who")
    client = tables.Column(verbose_name="Client", empty_values=(), orderable=False)
    item = tables.Column(verbose_name="Item", accessor="after__item", orderable=False)
    old = tables.Column(verbose_name="Old", accessor="before", orderable=False,
                        empty_values=())
    new = tables.Column(verbose_name="New", accessor="after", orderable=False)

    class Meta:
        attrs = {"class": "grid", "id": "price-history"}
        per_page = 25
        empty_text = "No price changes yet. Changes you make to prices appear here."

    def __init__(self, *args, client_names=None, **kwargs):
        self.client_names = client_names or {}
        self.item_names = dict(BillableItem.objects.values_list("code", "name"))
        super().__init__(*args, **kwargs)

    def render_item(self, value):
        return self.item_names.get(value, value)

    def render_client(self, record):
        sub_account = (record.after or {}).get("sub_account")
        return self.client_names.get(sub_account, "—") if sub_account else "All clients"

    def render_old(self, record):
        if record.before is None:
            return "base cost" if record.action == "price.set" else "agency price"
        return change_text(record.before)

    def render_new(self, value):
        return change_text(value)
