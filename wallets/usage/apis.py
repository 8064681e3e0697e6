"""Usage endpoints of the REST API (docs/api.md#usage): record, batch, quote, ledger.

Events are validated by `wallets.usage` itself (the batch path needs per-event errors), so
the serializers here describe the request and answer for the OpenAPI schema.

Errors of a usage event: a bad field is 400 `invalid` naming the field; a malformed
`sub_account` id is 400, a well-formed id that is not one of the caller's sub-accounts is
404 `not_found` (fields: `sub_account`); a suspended client's blocked item is 402
`sub_account_suspended`; a reused key with another event is 409 `idempotency_conflict`.
"""

import base64
import binascii

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from hoopbilling.api import AgencyApiView, BoundedDecimalField
from hoopbilling.errors import DomainError, InvalidInput, error_body
from hoopbilling.money import QUANTITY_MAX
from hoopbilling.parsers import seq_cursor
from hoopbilling.schema import ErrorSerializer
from subaccounts.models import SubAccount
from wallets.ledger.models import Entry
from wallets.usage.charging import Quote, plain_quantity, usage_quote
from wallets.usage.events import MAX_DURATION, MAX_TEXT
from wallets.usage.services import (
    BATCH_MAX,
    UsageResult,
    charge_values,
    usage_record,
    usage_record_batch,
)

LEDGER_PAGE = 50


class UsageEventSerializer(serializers.Serializer):
    sub_account = serializers.UUIDField()
    item = serializers.CharField()
    idempotency_key = serializers.CharField(min_length=1, max_length=255)
    occurred_at = serializers.DateTimeField(required=False)
    quantity = BoundedDecimalField(maximum=QUANTITY_MAX, required=False,
                                   help_text="Exactly one of quantity, message_body, "
                                             "duration_seconds, text.")
    message_body = serializers.CharField(required=False, max_length=MAX_TEXT,
                                         help_text="sms_outbound only.")
    duration_seconds = serializers.IntegerField(required=False, min_value=0,
                                                max_value=MAX_DURATION,
                                                help_text="call_inbound/call_outbound only.")
    text = serializers.CharField(required=False, max_length=MAX_TEXT,
                                 help_text="content_ai only.")


class QuoteEventSerializer(UsageEventSerializer):
    idempotency_key = None


class TierShareSerializer(serializers.Serializer):
    up_to = serializers.CharField(allow_null=True)
    price = serializers.CharField()
    quantity = serializers.CharField()
    amount = serializers.CharField()


class ExplanationFields(serializers.Serializer):
    price_source = serializers.ChoiceField(choices=["override", "agency", "base_cost"])
    price_per = serializers.IntegerField(help_text="Units one unit_price is for (1000 for "
                                                   "email_send).")
    tier_breakdown = TierShareSerializer(many=True, allow_null=True)
    details = serializers.DictField(help_text="SMS encoding and segments, call seconds and "
                                              "minutes, words.")
    base_cost_amount = serializers.CharField()
    occurred_at = serializers.DateTimeField()


class QuoteSerializer(ExplanationFields):
    sub_account = serializers.UUIDField()
    item = serializers.CharField()
    quantity = serializers.CharField()
    unit_price = serializers.CharField(allow_null=True)
    amount = serializers.CharField()
    currency = serializers.CharField()
    billed_to = serializers.ChoiceField(choices=["wallet", "agency"])
    wallet_balance = serializers.CharField(help_text="The balance after this charge.")


class ChargeSerializer(QuoteSerializer):
    """What was charged: the quote's fields, plus the charge's id and whether this answer is
    a replay of the first one."""

    id = serializers.UUIDField()
    replayed = serializers.BooleanField()


def _amount(value) -> str | None:
    return None if value is None else f"{value:f}"


def _money(value) -> str | None:
    return None if value is None else _amount(value.amount)


def charge_explanation(row: dict, price_per: int) -> dict:
    """Why a charge is what it is, from its values (`UsageResult.row`, `charge_values`)."""
    return {
        "price_source": row["price_source"], "price_per": price_per,
        "tier_breakdown": row["tier_breakdown"], "details": row["details"],
        "base_cost_amount": _amount(row["base_cost_amount"]),
        "occurred_at": row["occurred_at"].isoformat(),
    }


def charge_json(result: UsageResult) -> dict:
    """The answer for a charge, from its values (no model: see UsageResult)."""
    row = result.row
    return {
        "id": str(row["id"]), "sub_account": str(row["sub_account_id"]),
        "item": row["item_id"], "quantity": plain_quantity(row["quantity"]),
        "unit_price": _amount(row["unit_price"]), "amount": _amount(row["amount"]),
        "currency": row["amount_currency"], "billed_to": row["billed_to"],
        "wallet_balance": f"{result.wallet_balance:f}", "replayed": result.replayed,
        **charge_explanation(row, result.item.price_per),
    }


def quote_json(quote: Quote) -> dict:
    event = quote.event
    return {
        "sub_account": str(event.sub_account.pk), "item": event.item.code,
        "quantity": plain_quantity(event.quantity),
        "unit_price": None if quote.unit_price is None else f"{quote.unit_price:f}",
        "amount": f"{quote.amount:f}", "currency": quote.price.currency,
        "billed_to": quote.billed_to, "wallet_balance": f"{quote.wallet_balance:f}",
        "price_source": quote.price.source, "price_per": event.item.price_per,
        "tier_breakdown": quote.tier_breakdown, "details": event.details,
        "base_cost_amount": f"{quote.base_cost_amount:f}",
        "occurred_at": event.occurred_at.isoformat(),
    }


def _json_object(request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidInput("The body is a JSON object.", field="body")
    return request.data


class UsageView(AgencyApiView):
    @extend_schema(request=UsageEventSerializer,
                   responses={201: ChargeSerializer, 200: ChargeSerializer, 400: ErrorSerializer,
                              402: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
                   summary="Record one usage event (replay of the same key answers 200)")
    def post(self, request):
        result = usage_record(agency=self.agency, event=_json_object(request))
        return Response(charge_json(result), status=200 if result.replayed else 201)


class UsageBatchView(AgencyApiView):
    items_checked_each = "events"  # text no column can hold is that event's error alone

    @extend_schema(
        request=inline_serializer("UsageBatch", {"events": UsageEventSerializer(many=True)}),
        responses={200: inline_serializer("UsageBatchResults", {
            "results": serializers.ListField(child=serializers.DictField(), help_text=(
                "In the order of the events: a charge with `status` 201 (recorded) or 200 "
                "(replayed), or `{\"status\": 4xx, \"error\": {...}}`."))}),
            400: ErrorSerializer},
        summary=f"Record up to {BATCH_MAX} usage events; each result says what happened")
    def post(self, request):
        body = _json_object(request)
        unknown = sorted(set(body) - {"events"})
        if unknown:
            raise InvalidInput(f"Unknown field {unknown[0]!r}: a batch is {{\"events\": [...]}}.",
                               field=unknown[0])
        outcomes = usage_record_batch(agency=self.agency, events=body.get("events"))
        results = []
        for outcome in outcomes:
            if isinstance(outcome, DomainError):
                results.append({"status": outcome.status, **error_body(
                    outcome.code, outcome.message, outcome.fields)})
            else:
                results.append({"status": 200 if outcome.replayed else 201,
                                **charge_json(outcome)})
        return Response({"results": results})


class QuoteView(AgencyApiView):
    @extend_schema(request=QuoteEventSerializer,
                   responses={200: QuoteSerializer, 400: ErrorSerializer, 402: ErrorSerializer,
                              404: ErrorSerializer},
                   summary="What an event would charge now; records nothing")
    def post(self, request):
        return Response(quote_json(usage_quote(agency=self.agency, event=_json_object(request))))


class LedgerEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    amount = serializers.CharField()
    balance_after = serializers.CharField()
    currency = serializers.CharField()
    item = serializers.CharField(allow_null=True)
    quantity = serializers.CharField(allow_null=True)
    unit_price = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    memo = serializers.CharField()
    charge = serializers.DictField(allow_null=True, help_text=(
        "For usage: charge id, price source, tier breakdown, SMS encoding and segments."))


def _cursor_encode(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raw = ""
    kind, _, value = raw.partition(":")
    return seq_cursor(value if kind == "seq" else "", field="cursor")


def entry_json(entry: Entry) -> dict:
    charge = getattr(entry, "usage_charge", None)
    return {
        "id": entry.pk, "seq": entry.seq, "kind": entry.kind,
        "amount": _money(entry.amount), "balance_after": _money(entry.balance_after),
        "currency": entry.amount.currency.code,
        "item": charge.item_id if charge else None,
        "quantity": plain_quantity(charge.quantity) if charge else None,
        "unit_price": _money(charge.unit_price) if charge else None,
        "created_at": entry.created_at.isoformat(), "memo": entry.memo,
        "charge": ({"id": str(charge.id),
                    **charge_explanation(charge_values(charge), charge.item.price_per)}
                   if charge else None),
    }


class LedgerView(AgencyApiView):
    @extend_schema(
        parameters=[OpenApiParameter("cursor", str, description="next_cursor of the last page")],
        responses={200: inline_serializer("LedgerPage", {
            "results": LedgerEntrySerializer(many=True),
            "next_cursor": serializers.CharField(allow_null=True)}), 404: ErrorSerializer},
        summary="A sub-account's wallet entries, newest first")
    def get(self, request, pk):
        sub_account = get_object_or_404(SubAccount.objects.select_related("wallet"),
                                        agency=self.agency, pk=pk)
        entries = (Entry.objects.filter(wallet=sub_account.wallet)
                   .select_related("usage_charge__item").order_by("-seq"))
        cursor = request.query_params.get("cursor")
        if cursor:
            entries = entries.filter(seq__lt=_cursor_decode(cursor))
        page = list(entries[:LEDGER_PAGE + 1])
        more = len(page) > LEDGER_PAGE
        page = page[:LEDGER_PAGE]
        return Response({"results": [entry_json(entry) for entry in page],
                         "next_cursor": _cursor_encode(page[-1].seq) if more else None})
