"""Payment endpoints of the REST API (docs/api.md#payments): a client's wallet settings, its
card, manual top-ups and top-up history. Every sub-account is looked up within the caller's
agency, so another agency's is a 404."""

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.response import Response

from hoopbilling.api import AgencyApiView, BoundedDecimalField, StrictSerializer
from hoopbilling.errors import IdempotencyConflict
from hoopbilling.money import AMOUNT_MAX, TOPUP_MIN
from subaccounts.models import SubAccount
from wallets.ledger.models import Wallet
from wallets.payments.autotopup import wallet_settings_set
from wallets.payments.cards import payment_method_attach
from wallets.payments.models import TopUp
from wallets.payments.topups import topup_request


def _amount(money) -> str | None:
    return None if money is None else f"{money.amount:f}"


def wallet_data(wallet: Wallet) -> dict:
    balance = wallet.balance.amount
    return {
        "sub_account": str(wallet.sub_account_id),
        "balance": f"{balance:f}",
        "currency": wallet.currency,
        "auto_topup": {
            "enabled": wallet.auto_topup_enabled,
            "threshold": _amount(wallet.auto_topup_threshold),
            "amount": _amount(wallet.auto_topup_amount),
            "max_balance": _amount(wallet.auto_topup_max_balance),
        },
        "outstanding": f"{max(-balance, 0 * balance):f}",
    }


def topup_data(topup: TopUp) -> dict:
    return {
        "id": str(topup.pk),
        "amount": _amount(topup.amount),
        "currency": topup.amount.currency.code,
        "status": topup.status,
        "trigger": topup.trigger,
        "attempts": topup.attempts,
        "next_attempt_at": topup.next_attempt_at,
        "last_error": topup.last_error,
        "created_at": topup.created_at,
        "settled_at": topup.settled_at,
    }


class AutoTopupSerializer(StrictSerializer):
    """The settings form's rules (wallets.payments.views.AutoTopupForm): the amount a card is
    charged is whole cents, and with auto top-up on at least TOPUP_MIN (`wallet_settings_set`
    checks that for both)."""

    enabled = serializers.BooleanField(required=False)
    threshold = BoundedDecimalField(maximum=AMOUNT_MAX, required=False, what="A threshold")
    amount = BoundedDecimalField(maximum=AMOUNT_MAX, places=2, required=False)
    max_balance = BoundedDecimalField(maximum=AMOUNT_MAX, required=False, allow_null=True,
                                      what="A maximum balance")


class WalletPatchSerializer(StrictSerializer):
    auto_topup = AutoTopupSerializer()


class PaymentMethodSerializer(StrictSerializer):
    payment_method = serializers.CharField(max_length=255)


class TopUpCreateSerializer(StrictSerializer):
    amount = BoundedDecimalField(maximum=AMOUNT_MAX, minimum=TOPUP_MIN, places=2,
                                 what="An amount to add")
    idempotency_key = serializers.CharField(max_length=255, required=False)


class SubAccountScopedView(AgencyApiView):
    def sub_account(self, pk) -> SubAccount:
        return get_object_or_404(SubAccount.objects.select_related("agency"),
                                 agency=self.agency, pk=pk)

    @property
    def actor_label(self) -> str:
        return str(self.request.user)


class WalletView(SubAccountScopedView):
    def get(self, request, pk):
        return Response(wallet_data(self.sub_account(pk).wallet))

    def patch(self, request, pk):
        wallet = self.sub_account(pk).wallet
        serializer = WalletPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data["auto_topup"]
        wallet_settings_set(
            wallet=wallet, enabled=given.get("enabled"), threshold=given.get("threshold"),
            amount=given.get("amount"), max_balance=given.get("max_balance", ...),
            actor_label=self.actor_label)
        wallet.refresh_from_db()
        return Response(wallet_data(wallet))


class PaymentMethodView(SubAccountScopedView):
    def put(self, request, pk):
        sub_account = self.sub_account(pk)
        serializer = PaymentMethodSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sub_account = payment_method_attach(
            sub_account=sub_account, payment_method=serializer.validated_data["payment_method"],
            actor_label=self.actor_label)
        return Response({"payment_method": sub_account.payment_method_id,
                         "brand": sub_account.card_brand, "last4": sub_account.card_last4})


class TopUpCreateView(SubAccountScopedView):
    def post(self, request, pk):
        sub_account = self.sub_account(pk)
        serializer = TopUpCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = serializer.validated_data.get("idempotency_key", "")
        # The top-up keeps the key as its request key (unique per wallet); keys are the
        # agency's, so one already used for another client is a conflict, not a new top-up.
        request_key = f"api:{key}" if key else ""
        if key and TopUp.objects.filter(sub_account__agency=self.agency,
                                        request_key=request_key).exclude(
                                            sub_account=sub_account).exists():
            raise IdempotencyConflict(
                f"Idempotency key {key!r} was used for another request.",
                field="idempotency_key")
        topup = topup_request(wallet_id=sub_account.wallet.pk, trigger=TopUp.Trigger.MANUAL,
                              amount=serializer.validated_data["amount"],
                              actor_label=self.actor_label, request_key=request_key)
        topup.refresh_from_db()
        return Response(topup_data(topup), status=201)


class TopUpListView(SubAccountScopedView):
    page_size = 100

    def get(self, request, pk):
        sub_account = self.sub_account(pk)
        topups = TopUp.objects.filter(sub_account=sub_account).order_by("-created_at", "-pk")
        return Response([topup_data(t) for t in topups[:self.page_size]])
