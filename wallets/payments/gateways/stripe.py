"""The Stripe gateway: the official SDK, per agency (its Connect account or restricted key,
else the platform account). Each client is its own Stripe Customer; cards are saved with a
SetupIntent; a top-up is one off-session PaymentIntent created with the idempotency key
`topup:<id>` and confirmed per attempt with `topup:<id>:attempt:<n>` (see `base`); one
cancelled at Stripe is replaced by the next attempt's own (`topup:<id>:attempt:<n>:intent`).
STRIPE_API_BASE points the SDK at another server (the tests' fake Stripe)."""

import stripe
from django.conf import settings

from hoopbilling.errors import InvalidInput
from hoopbilling.money import to_minor_units
from wallets.payments.gateways.base import (
    Card,
    CardDeclined,
    ChargeResult,
    RefundFailed,
    RefundResult,
    confirm_key,
)

STATUS = {"succeeded": ChargeResult.SUCCEEDED, "processing": ChargeResult.PROCESSING,
          "requires_action": ChargeResult.REQUIRES_ACTION, "canceled": ChargeResult.CANCELED}


class StripeGateway:
    name = "stripe"

    def __init__(self, *, agency):
        api_key = agency.stripe_restricted_key or settings.STRIPE_SECRET_KEY
        options = {"max_network_retries": 2}
        if settings.STRIPE_API_BASE:
            options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
        if agency.stripe_account_id and not agency.stripe_restricted_key:
            options["stripe_account"] = agency.stripe_account_id
        self.client = stripe.StripeClient(api_key, **options)

    def customer_ensure(self, *, sub_account) -> str:
        if sub_account.payment_gateway == self.name and sub_account.payment_customer_id:
            return sub_account.payment_customer_id
        customer = self.client.v1.customers.create(
            params={"name": sub_account.name, "metadata": {"sub_account": str(sub_account.pk)}},
            options={"idempotency_key": f"customer:{sub_account.pk}"})
        return customer.id

    def payment_method_attach(self, *, sub_account, payment_method: str) -> Card:
        customer = self.customer_ensure(sub_account=sub_account)
        try:
            self.client.v1.setup_intents.create(params={
                "customer": customer, "payment_method": payment_method, "confirm": True,
                "usage": "off_session", "payment_method_types": ["card"]})
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or "Your card was declined.",
                               field="payment_method") from exc
        except stripe.InvalidRequestError as exc:
            raise InvalidInput(exc.user_message or str(exc), field="payment_method") from exc
        method = self.client.v1.payment_methods.retrieve(payment_method)
        return Card(payment_method_id=method.id, brand=method.card.brand,
                    last4=method.card.last4)

    def setup_start(self, *, sub_account):
        """A SetupIntent for the client's own customer, confirmed in the browser by Stripe.js
        (the card page); `payment_method_confirmed` takes its result."""
        customer = self.customer_ensure(sub_account=sub_account)
        return self.client.v1.setup_intents.create(params={
            "customer": customer, "usage": "off_session", "payment_method_types": ["card"],
            "metadata": {"sub_account": str(sub_account.pk)}})

    def charge(self, *, topup, attempt: int, payment_method: str) -> ChargeResult:
        """Charge the top-up's one PaymentIntent. A retry fetches the intent its first attempt
        made (`topup.charge_id`) rather than asking to create it again: Stripe answers a
        repeated key with its first response, as it was then, and forgets keys after a day."""
        intent = (self._intent_known(topup.charge_id) if topup.charge_id
                  else self._intent_create(topup, topup.idempotency_key))
        if intent is None or intent.status == "canceled":
            # Cancelled at Stripe, or made where this account cannot see it (by the sandbox,
            # or before the agency changed its Stripe account): this attempt needs its own.
            intent = self._intent_create(topup, f"{confirm_key(topup, attempt)}:intent")
        if intent.status in ("succeeded", "processing"):
            return self.result(intent)
        try:
            intent = self.client.v1.payment_intents.confirm(
                intent.id, params={"payment_method": payment_method, "off_session": True},
                options={"idempotency_key": confirm_key(topup, attempt)})
        except stripe.CardError as exc:
            failed = (exc.error.payment_intent if exc.error else None) or intent
            status = getattr(failed, "status", "requires_payment_method")
            code = exc.code or "card_declined"
            if code == "authentication_required":
                status = "requires_action"
            return ChargeResult(STATUS.get(status, ChargeResult.DECLINED), intent.id,
                                client_secret=getattr(failed, "client_secret", "") or "",
                                error_code=code, error_message=exc.user_message or "")
        except stripe.InvalidRequestError as exc:
            # Its state may have moved on at Stripe meanwhile (the client authenticated it):
            # then what it is now is the answer; else Stripe refused this attempt.
            intent = self.charge_retrieve(charge_id=intent.id)
            if intent.status not in ("succeeded", "processing"):
                return ChargeResult(ChargeResult.DECLINED, intent.id,
                                    error_code=exc.code or "invalid_request",
                                    error_message=exc.user_message or str(exc))
        return self.result(intent)

    def _intent_known(self, charge_id: str):
        """The PaymentIntent, or None when this account has no such intent."""
        try:
            return self.charge_retrieve(charge_id=charge_id)
        except stripe.InvalidRequestError as exc:
            if exc.code == "resource_missing":
                return None
            raise

    def _intent_create(self, topup, idempotency_key: str):
        return self.client.v1.payment_intents.create(params={
            "amount": int(to_minor_units(topup.amount.amount) * 100),
            "currency": topup.amount.currency.code.lower(),
            "customer": topup.sub_account.payment_customer_id,
            "payment_method_types": ["card"],
            "metadata": {"topup": str(topup.pk), "sub_account": str(topup.sub_account_id)},
        }, options={"idempotency_key": idempotency_key})

    def charge_cancel(self, *, charge_id: str) -> ChargeResult:
        try:
            intent = self.client.v1.payment_intents.cancel(charge_id)
        except stripe.InvalidRequestError:  # paid or being paid meanwhile, or cancelled
            intent = self._intent_known(charge_id)
            if intent is None:  # nothing of this account's to call off
                return ChargeResult(ChargeResult.CANCELED, charge_id)
        return self.result(intent)

    def authenticate(self, *, charge_id: str) -> ChargeResult:
        return self.result(self.charge_retrieve(charge_id=charge_id))

    def charge_retrieve(self, *, charge_id: str):
        """The PaymentIntent as this agency's account sees it (webhooks re-fetch with it)."""
        return self.client.v1.payment_intents.retrieve(charge_id)

    def setup_retrieve(self, *, setup_id: str):
        return self.client.v1.setup_intents.retrieve(setup_id)

    def card_retrieve(self, *, payment_method: str):
        """The payment method and its card, or None when it is not a card."""
        method = self.client.v1.payment_methods.retrieve(payment_method)
        card = getattr(method, "card", None)
        return method, (Card(payment_method_id=method.id, brand=card.brand, last4=card.last4)
                        if card else None)

    def refund(self, *, charge_id: str, amount_minor: int, currency: str,
               idempotency_key: str) -> RefundResult:
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": charge_id, "amount": amount_minor,
                        "metadata": {"idempotency_key": idempotency_key}},
                options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as exc:
            raise RefundFailed(exc.user_message or str(exc), field="topup") from exc
        if refund.status in ("failed", "canceled"):
            raise RefundFailed(f"Stripe refused the refund ({refund.status}).", field="topup")
        return RefundResult(refund_id=refund.id, status=refund.status)

    @staticmethod
    def result(intent) -> ChargeResult:
        status = STATUS.get(intent.status, ChargeResult.DECLINED)
        error = getattr(intent, "last_payment_error", None)
        return ChargeResult(status, intent.id, client_secret=intent.client_secret or "",
                            error_code=(error.code if error else "") or "",
                            error_message=(error.message if error else "") or "")
