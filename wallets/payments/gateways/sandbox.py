"""The sandbox gateway (docs/api.md#payments): Stripe's test payment methods, offline.

It behaves as Stripe test mode does for those ids and, like Stripe, remembers each charge by
its idempotency key (`SandboxCharge`), so repeating a request never charges twice.
"""

import hashlib
import secrets

from django.db import IntegrityError, transaction

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
from wallets.payments.models import SandboxCharge

# id: (brand, last4, outcome of an off-session charge)
CHARGEABLE = {
    "pm_card_visa": ("visa", "4242", ChargeResult.SUCCEEDED),
    "pm_card_mastercard": ("mastercard", "4444", ChargeResult.SUCCEEDED),
    "pm_card_chargeCustomerFail": ("visa", "0341", ChargeResult.DECLINED),
    "pm_card_authenticationRequired": ("visa", "3184", ChargeResult.REQUIRES_ACTION),
}
DECLINED_ON_ATTACH = {
    "pm_card_chargeDeclined": ("card_declined", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "insufficient_funds", "Your card has insufficient funds."),
}
SANDBOX_PAYMENT_METHODS = list(CHARGEABLE) + list(DECLINED_ON_ATTACH)


class SandboxGateway:
    name = "sandbox"

    def customer_ensure(self, *, sub_account) -> str:
        return sub_account.payment_customer_id or f"sbcus_{sub_account.pk.hex}"

    def payment_method_attach(self, *, sub_account, payment_method: str) -> Card:
        if payment_method in DECLINED_ON_ATTACH:
            code, message = DECLINED_ON_ATTACH[payment_method]
            raise CardDeclined(f"{message} ({code})", field="payment_method")
        if payment_method not in CHARGEABLE:
            raise InvalidInput(
                f"No such payment method {payment_method!r}; the sandbox knows "
                f"{', '.join(SANDBOX_PAYMENT_METHODS)}.", field="payment_method")
        brand, last4, _ = CHARGEABLE[payment_method]
        return Card(payment_method_id=payment_method, brand=brand, last4=last4)

    def charge(self, *, topup, attempt: int, payment_method: str) -> ChargeResult:
        charge = self._charge_for(topup)
        key = confirm_key(topup, attempt)
        with transaction.atomic():
            charge = SandboxCharge.objects.select_for_update().get(pk=charge.pk)
            done = {c["key"]: c for c in charge.confirmations}
            if charge.status == "succeeded" or key in done:
                return self._result(charge, done.get(key))
            outcome = CHARGEABLE.get(payment_method, (None, None, ChargeResult.DECLINED))[2]
            charge.status = {ChargeResult.SUCCEEDED: "succeeded",
                             ChargeResult.REQUIRES_ACTION: "requires_action"}.get(
                                 outcome, "requires_payment_method")
            charge.payment_method = payment_method
            confirmation = {"key": key, "payment_method": payment_method, "outcome": outcome}
            charge.confirmations = [*charge.confirmations, confirmation]
            charge.save()
            return self._result(charge, confirmation)

    def charge_cancel(self, *, charge_id: str) -> ChargeResult:
        with transaction.atomic():
            charge = SandboxCharge.objects.select_for_update().filter(pk=charge_id).first()
            if charge is None:  # made by another gateway: nothing of the sandbox's to call off
                return ChargeResult(ChargeResult.CANCELED, charge_id)
            if charge.status != "succeeded":
                charge.status = "canceled"
                charge.save(update_fields=["status"])
            return self._result(charge, None)

    def authenticate(self, *, charge_id: str) -> ChargeResult:
        """The customer completed authentication (the sandbox's stand-in for Stripe.js)."""
        with transaction.atomic():
            charge = SandboxCharge.objects.select_for_update().get(pk=charge_id)
            if charge.status == "requires_action":
                charge.status = "succeeded"
                charge.save(update_fields=["status"])
            return self._result(charge, None)

    def refund(self, *, charge_id: str, amount_minor: int, currency: str,
               idempotency_key: str) -> RefundResult:
        """Refunds succeed at once for a succeeded charge; the id is derived from the key, so
        asking again with the same key answers the same refund (as Stripe does)."""
        charge = SandboxCharge.objects.filter(pk=charge_id).first()
        if charge is None or charge.status != "succeeded":
            raise RefundFailed(f"The sandbox has no paid charge {charge_id!r} to refund.",
                               field="topup")
        if currency != charge.currency or not 0 < amount_minor <= charge.amount_minor:
            raise RefundFailed("A refund is at most the amount charged, in its currency.",
                               field="amount")
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return RefundResult(refund_id=f"sbre_{digest}", status="succeeded")

    def _charge_for(self, topup) -> SandboxCharge:
        defaults = {
            "id": f"sbpi_{secrets.token_hex(12)}",
            "customer": topup.sub_account.payment_customer_id,
            "amount_minor": int(to_minor_units(topup.amount.amount) * 100),
            "currency": topup.amount.currency.code,
            "status": "requires_payment_method",
        }
        try:
            charge, _ = SandboxCharge.objects.get_or_create(
                idempotency_key=topup.idempotency_key, defaults=defaults)
        except IntegrityError:
            charge = SandboxCharge.objects.get(idempotency_key=topup.idempotency_key)
        return charge

    @staticmethod
    def _result(charge: SandboxCharge, confirmation: dict | None) -> ChargeResult:
        if charge.status == "succeeded":
            return ChargeResult(ChargeResult.SUCCEEDED, charge.id)
        if charge.status == "canceled":
            return ChargeResult(ChargeResult.CANCELED, charge.id)
        if charge.status == "requires_action":
            return ChargeResult(ChargeResult.REQUIRES_ACTION, charge.id,
                                client_secret=f"{charge.id}_secret",
                                error_code="authentication_required",
                                error_message="The card needs the customer to authenticate.")
        message = ("The card was declined." if confirmation and confirmation["payment_method"]
                   else "No card on file.")
        return ChargeResult(ChargeResult.DECLINED, charge.id, error_code="card_declined",
                            error_message=message)
