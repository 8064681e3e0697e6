"""The price API (docs/api.md#pricing): the agency's grid and one client's price.

`GET /prices` answers a JSON list of grid rows in catalog order. A row (`price_row_data`) is
`item`, `unit`, `price_per`, `currency`, `base_cost`, `price` (flat) or `tiers`, `margin`,
`margin_percent`, `subsidized` and `source` (`agency`, or `base_cost` when the agency set no
price for the item). Amounts are strings per `price_per` units (per 1,000 emails for
`email_send`). For tiers, `price`, `margin` and `margin_percent` are null and each tier carries
its own `margin` and `margin_percent`. See `subaccounts.pricing.rules` for the margin
definitions. `GET /prices/{item}` is one row; `PUT` sets the agency's price.

`/subaccounts/{id}/prices/{item}`: GET answers the price the client pays now (the same row,
with `source` `override` or `agency` — "agency" also when the agency set no price and charges
the base cost); PUT sets an override (same body and rules as `PUT /prices/{item}`); DELETE
ends the override, so the client pays the agency price again. Another agency's client is 404.
"""

import uuid
from decimal import Decimal

from django.utils import timezone
from rest_framework.response import Response

from hoopbilling.api import AgencyApiView
from hoopbilling.errors import InvalidInput, NotFound
from subaccounts.pricing.book import price_resolve
from subaccounts.pricing.models import BillableItem
from subaccounts.pricing.rules import PriceRow
from subaccounts.pricing.selectors import agency_price_grid, client_price_row
from subaccounts.pricing.services import price_clear, price_set

PRICE_BODY_FIELDS = {"price", "tiers", "subsidize", "currency"}


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
    """The keyword arguments of `price_set` from a PUT body."""
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object with \"price\" or \"tiers\".", field="price")
    unknown = sorted(set(data) - PRICE_BODY_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    return {"price": data.get("price"), "tiers": data.get("tiers"),
            "subsidize": data.get("subsidize", False), "currency": data.get("currency")}


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


class SubAccountPriceView(AgencyApiView):
    def _sub_account(self, pk: str):
        try:
            pk = uuid.UUID(pk)
        except ValueError as exc:
            raise NotFound("No such sub-account.") from exc
        # From the caller's agency, so another agency's client is not found.
        sub_account = self.agency.sub_accounts.select_related("agency").filter(pk=pk).first()
        if sub_account is None:
            raise NotFound("No such sub-account.")
        return sub_account

    def _answer(self, sub_account, item):
        resolved = price_resolve(sub_account=sub_account, item=item, moment=timezone.now())
        return Response({"sub_account": str(sub_account.pk),
                         **price_row_data(client_price_row(resolved))})

    def get(self, request, pk, item):
        sub_account = self._sub_account(pk)
        return self._answer(sub_account, billable_item_get(item))

    def put(self, request, pk, item):
        sub_account = self._sub_account(pk)
        item = billable_item_get(item)
        price_set(agency=self.agency, sub_account=sub_account, item=item,
                  actor_label=str(request.user), **price_body(request.data))
        return self._answer(sub_account, item)

    def delete(self, request, pk, item):
        sub_account = self._sub_account(pk)
        item = billable_item_get(item)
        price_clear(sub_account=sub_account, item=item, actor_label=str(request.user))
        return self._answer(sub_account, item)
