"""The agency's money actions on a client in the REST API (docs/api.md#agency-actions):
credit, refund a card top-up, retry a top-up now, send the card link. Each looks the client
(and its top-up) up within the caller's agency, so another agency's is a 404, and takes an
optional `idempotency_key` (the agency's: `agencies.idempotency`)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from hoopbilling.api import BoundedDecimalField, StrictSerializer
from hoopbilling.money import AMOUNT_MAX, CENT, quantize_amount
from wallets.ledger.corrections import wallet_credit_grant
from wallets.ledger.models import Entry
from wallets.payments.apis import SubAccountScopedView, topup_data
from wallets.payments.card_links import card_link_send
from wallets.payments.corrections import topup_refund, topup_retry_now
from wallets.payments.models import TopUpRefund


def _amount(value) -> str:
    """6 places, as stored: a replay (read back) answers what the first request did."""
    return f"{quantize_amount(value):f}"


def credit_data(entry: Entry) -> dict:
    return {"id": str(entry.pk), "amount": _amount(entry.amount.amount),
            "currency": entry.amount.currency.code, "reason": entry.memo,
            "wallet_balance": _amount(entry.balance_after.amount),
            "created_at": entry.created_at}


def refund_data(refund: TopUpRefund) -> dict:
    return {"id": str(refund.pk), "topup": str(refund.topup_id),
            "amount": _amount(refund.amount.amount), "currency": refund.amount.currency.code,
            "reason": refund.reason, "status": refund.status,
            "gateway_refund_id": refund.gateway_refund_id,
            "wallet_balance": _amount(refund.entry.balance_after.amount),
            "created_at": refund.created_at}


_TEXT = serializers.CharField
CREDIT_SCHEMA = inline_serializer("Credit", {
    "id": _TEXT(), "amount": _TEXT(), "currency": _TEXT(), "reason": _TEXT(),
    "wallet_balance": _TEXT(), "created_at": serializers.DateTimeField()})
REFUND_SCHEMA = inline_serializer("TopUpRefund", {
    "id": _TEXT(), "topup": _TEXT(), "amount": _TEXT(), "currency": _TEXT(),
    "reason": _TEXT(), "status": _TEXT(), "gateway_refund_id": _TEXT(),
    "wallet_balance": _TEXT(), "created_at": serializers.DateTimeField()})
CARD_LINK_SCHEMA = inline_serializer("CardLink", {
    "url": serializers.URLField(), "expires_at": serializers.DateTimeField(),
    "emailed_to": serializers.ListField(child=serializers.EmailField())})


def _key_field():
    return serializers.CharField(max_length=255, required=False)


class CreditSerializer(StrictSerializer):
    # Whole cents: a credit shows on invoices, which are in cents (docs/api.md).
    amount = BoundedDecimalField(maximum=AMOUNT_MAX, minimum=CENT, places=2, what="A credit")
    reason = serializers.CharField(max_length=255)
    idempotency_key = _key_field()


class RefundSerializer(StrictSerializer):
    amount = BoundedDecimalField(maximum=AMOUNT_MAX, minimum=CENT, places=2, required=False,
                                 what="A refund")
    reason = serializers.CharField(max_length=255)
    idempotency_key = _key_field()


class KeyOnlySerializer(StrictSerializer):
    idempotency_key = _key_field()


class CardLinkSerializer(StrictSerializer):
    email = serializers.BooleanField(required=False, default=False)


class CreditView(SubAccountScopedView):
    @extend_schema(request=CreditSerializer, responses={201: CREDIT_SCHEMA},
                   summary="Give the client money (an agency credit)")
    def post(self, request, pk):
        sub_account = self.sub_account(pk)
        data = CreditSerializer.validated(request)
        entry, _ = wallet_credit_grant(
            sub_account=sub_account, amount=data["amount"], reason=data["reason"],
            idempotency_key=data.get("idempotency_key", ""), actor_label=self.actor_label)
        return Response(credit_data(entry), status=201)


class RefundView(SubAccountScopedView):
    @extend_schema(request=RefundSerializer, responses={201: REFUND_SCHEMA},
                   summary="Refund (part of) a settled card top-up")
    def post(self, request, pk, topup_id):
        sub_account = self.sub_account(pk)
        data = RefundSerializer.validated(request)
        refund = topup_refund(
            topup_id=topup_id, amount=data.get("amount"), reason=data["reason"],
            idempotency_key=data.get("idempotency_key", ""), sub_account=sub_account,
            actor_label=self.actor_label)
        return Response(refund_data(refund), status=201)


class RetryView(SubAccountScopedView):
    @extend_schema(request=KeyOnlySerializer, responses={202: OpenApiTypes.OBJECT},
                   summary="Charge a failed or waiting top-up now; answers the top-up")
    def post(self, request, pk, topup_id):
        sub_account = self.sub_account(pk)
        data = KeyOnlySerializer.validated(request)
        topup = topup_retry_now(topup_id=topup_id, sub_account=sub_account,
                                idempotency_key=data.get("idempotency_key", ""),
                                actor_label=self.actor_label)
        return Response(topup_data(topup), status=202)


class CardLinkView(SubAccountScopedView):
    @extend_schema(request=CardLinkSerializer, responses={201: CARD_LINK_SCHEMA},
                   summary="A link for the client to add or update its card (7 days)")
    def post(self, request, pk):
        sub_account = self.sub_account(pk)
        data = CardLinkSerializer.validated(request)
        link = card_link_send(sub_account=sub_account, email=data["email"],
                              actor_label=self.actor_label)
        return Response({"url": link.url, "expires_at": link.expires_at,
                         "emailed_to": link.emailed_to}, status=201)
