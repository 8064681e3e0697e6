"""Payment gateways: which one a sub-account's agency charges through."""

from django.conf import settings

from wallets.payments.gateways.base import (
    Card,
    CardDeclined,
    ChargeResult,
    PaymentGateway,
    RefundFailed,
    RefundResult,
)
from wallets.payments.gateways.sandbox import SandboxGateway
from wallets.payments.gateways.stripe import StripeGateway

__all__ = ["Card", "CardDeclined", "ChargeResult", "PaymentGateway", "RefundFailed",
           "RefundResult", "SandboxGateway", "StripeGateway", "gateway_for"]


def gateway_for(agency) -> PaymentGateway:
    """Stripe when the platform has a Stripe key, the sandbox otherwise (docs/api.md#payments)."""
    if settings.STRIPE_SECRET_KEY:
        return StripeGateway(agency=agency)
    return SandboxGateway()
