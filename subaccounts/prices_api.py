"""`/subaccounts/{id}/prices/{item}`: one client's price for one item.

GET answers the price the client pays now (the grid row of `agencies.api`, with `source`
`override` or `agency` — "agency" also when the agency set no price and charges the base
cost); PUT sets an override (same body and rules as `PUT /prices/{item}`); DELETE ends the
override, so the client pays the agency price again. Another agency's client is 404.
"""

import uuid

from django.utils import timezone
from rest_framework.response import Response

from agencies.api import billable_item_get, price_body, price_row_data
from hoopbilling.api import AgencyApiView
from hoopbilling.errors import NotFound
from subaccounts.models import SubAccount
from subaccounts.pricing import price_resolve
from subaccounts.selectors import client_price_row
from subaccounts.services import override_clear, override_set


class SubAccountPriceView(AgencyApiView):
    def _sub_account(self, pk: str) -> SubAccount:
        try:
            pk = uuid.UUID(pk)
        except ValueError as exc:
            raise NotFound("No such sub-account.") from exc
        sub_account = (SubAccount.objects.select_related("agency")
                       .filter(agency=self.agency, pk=pk).first())
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
        override_set(sub_account=sub_account, item=item, actor_label=str(request.user),
                     **price_body(request.data))
        return self._answer(sub_account, item)

    def delete(self, request, pk, item):
        sub_account = self._sub_account(pk)
        item = billable_item_get(item)
        override_clear(sub_account=sub_account, item=item, actor_label=str(request.user))
        return self._answer(sub_account, item)
