"""Agency endpoints of the REST API: the agency's settings and its price grid.

`GET /prices` answers a JSON list of grid rows in catalog order. A row (`price_row_data`) is
`item`, `unit`, `price_per`, `currency`, `base_cost`, `price` (flat) or `tiers`, `margin`,
`margin_percent`, `subsidized` and `source` (`agency`, or `base_cost` when the agency set no
price for the item). Amounts are strings per `price_per` units (per 1,000 emails for
`email_send`). For tiers, `price`, `margin` and `margin_percent` are null and each tier carries
its own `margin` and `margin_percent`. See `agencies.price_rules` for the margin definitions.
"""

from decimal import Decimal

from rest_framework import serializers
from rest_framework.response import Response

from agencies.models import BillableItem
from agencies.price_rules import PriceRow
from agencies.selectors import agency_price_grid
from agencies.services import agency_update, price_set
from hoopbilling.api import AgencyApiView
from hoopbilling.errors import InvalidInput, NotFound

PRICE_BODY_FIELDS = {"price", "tiers", "subsidize", "currency"}


class AgencySerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    currency = serializers.CharField(read_only=True)
    plan_rebilling_allowed = serializers.BooleanField(read_only=True)
    rebilling_enabled = serializers.BooleanField(read_only=True)
    retry_schedule_hours = serializers.ListField(child=serializers.DecimalField(
        max_digits=8, decimal_places=2, coerce_to_string=False), read_only=True)
    billing_anchor_day = serializers.IntegerField(read_only=True)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def price_row_data(row: PriceRow) -> dict:
    """A grid row as the API answers it (amounts as strings)."""
    tiers = None
    if row.tiers is not None:
        tiers = [{"up_to": _text(tier["up_to"]), "price": _text(tier["price"]),
                  "margin": _text(tier["margin"]),
                  "margin_percent": _text(tier["margin_percent"])} for tier in row.tier_rows]
    return {
        "item": row.item.code, "unit": row.item.unit, "price_per": row.item.price_per,
        "currency": row.currency, "base_cost": _text(row.base_cost),
        "price": _text(row.price), "tiers": tiers, "margin": _text(row.margin),
        "margin_percent": _text(row.margin_percent), "subsidized": row.subsidized,
        "source": row.source,
    }


def billable_item_get(code: str) -> BillableItem:
    item = BillableItem.objects.filter(code=code).first()
    if item is None:
        raise NotFound(f"No billable item {code!r}.", field="item")
    return item


def price_body(data) -> dict:
    """The keyword arguments of `price_set`/`override_set` from a PUT body."""
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object with \"price\" or \"tiers\".", field="price")
    unknown = sorted(set(data) - PRICE_BODY_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    return {"price": data.get("price"), "tiers": data.get("tiers"),
            "subsidize": data.get("subsidize", False), "currency": data.get("currency")}


class AgencyView(AgencyApiView):
    def get(self, request):
        return Response(AgencySerializer(self.agency).data)

    def patch(self, request):
        if not isinstance(request.data, dict):
            raise InvalidInput("Send a JSON object.", field="name")
        agency = agency_update(agency=self.agency, changes=request.data,
                               actor_label=str(request.user))
        return Response(AgencySerializer(agency).data)


class PriceGridView(AgencyApiView):
    def get(self, request):
        return Response([price_row_data(row) for row in agency_price_grid(agency=self.agency)])


class PriceView(AgencyApiView):
    def _row(self, item):
        row = next((row for row in agency_price_grid(agency=self.agency)
                    if row.item.code == item.code), None)
        if row is None:
            raise NotFound(f"No base cost for {item.code} in {self.agency.currency}.",
                           field="item")
        return row

    def get(self, request, item):
        return Response(price_row_data(self._row(billable_item_get(item))))

    def put(self, request, item):
        item = billable_item_get(item)
        price_set(agency=self.agency, item=item, actor_label=str(request.user),
                  **price_body(request.data))
        return Response(price_row_data(self._row(item)))
