"""The payment gateway interface that top-ups are charged through.

Two implementations: `stripe.StripeGateway` (dj-stripe and the official SDK) when
STRIPE_SECRET_KEY is set, `sandbox.SandboxGateway` otherwise (docs/api.md#payments).

A charge is one PaymentIntent per top-up, created with the idempotency key `topup:<id>`; each
attempt confirms it with the key `topup:<id>:attempt:<n>`. Asking again with the same keys
(a worker killed mid-attempt) answers the charge already made and never charges twice. Once
the top-up knows its charge (`charge_id`), later attempts fetch it instead of creating it:
Stripe forgets a key after 24 hours, and a charge the client has since authenticated is
settled rather than confirmed again.
"""

from dataclasses import dataclass
from typing import Protocol

from hoopbilling.errors import DomainError


class CardDeclined(DomainError):
    code = "card_declined"
    status = 402


class RefundFailed(DomainError):
    """The gateway refused a refund (the charge is unknown, not paid, or already refunded)."""

    code = "refund_failed"
    status = 402


@dataclass(frozen=True)
class Card:
    payment_method_id: str
    brand: str
    last4: str


@dataclass(frozen=True)
class ChargeResult:
    """What the gateway says about a top-up's charge."""

    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    DECLINED = "declined"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"

    status: str
    charge_id: str
    client_secret: str = ""
    error_code: str = ""
    error_message: str = ""


@dataclass(frozen=True)
class RefundResult:
    """A refund the gateway accepted (`status` is Stripe's: succeeded or pending)."""

    refund_id: str
    status: str


def confirm_key(topup, attempt: int) -> str:
    return f"{topup.idempotency_key}:attempt:{attempt}"


class PaymentGateway(Protocol):
    name: str

    def customer_ensure(self, *, sub_account) -> str:
        """The client's own customer id at the gateway (created once, never shared)."""

    def payment_method_attach(self, *, sub_account, payment_method: str) -> Card:
        """Attach a card to the client's customer; `CardDeclined` when the card is refused."""

    def charge(self, *, topup, attempt: int, payment_method: str) -> ChargeResult:
        """Charge the top-up off-session (or report the charge already made for it)."""

    def charge_cancel(self, *, charge_id: str) -> ChargeResult:
        """Call off an unpaid charge so it can never be paid; a charge already paid (or
        being paid) is reported as it is."""

    def authenticate(self, *, charge_id: str) -> ChargeResult:
        """Where the charge stands after the customer's authentication page."""

    def refund(self, *, charge_id: str, amount_minor: int, currency: str,
               idempotency_key: str) -> RefundResult:
        """Send `amount_minor` of a succeeded charge back to the card; the same key answers
        the refund already made. `RefundFailed` when the gateway refuses."""
