"""Top-ups and their attempts, payment events (webhooks) and in-app notifications.

A top-up is one card charge that puts money in a wallet. It is "in flight" from the moment it
is requested until it settles or its retry schedule is exhausted; the database allows at most
one in-flight top-up per wallet, so a card is never charged twice for the same shortfall.
Due work is found from `next_attempt_at`, never from long Celery countdowns.

Each gateway call is an attempt row, written (committed) before the call: a worker killed
after the gateway accepted the charge leaves a `started` attempt that the next run repeats
with the same idempotency keys, so the gateway answers with the charge it already made.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField

from agencies.models import CURRENCY_CHOICES
from hoopbilling.money import DECIMAL_PLACES, MAX_DIGITS


class TopUp(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        REQUIRES_ACTION = "requires_action", "Needs the client to authenticate"
        RETRYING = "retrying", "Declined, will retry"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Cancelled"

    class Trigger(models.TextChoices):
        AUTO = "auto", "Automatic"
        MANUAL = "manual", "Added by hand"

    IN_FLIGHT = (Status.PENDING, Status.PROCESSING, Status.REQUIRES_ACTION, Status.RETRYING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wallet = models.ForeignKey("wallets.Wallet", on_delete=models.PROTECT, related_name="topups")
    sub_account = models.ForeignKey("subaccounts.SubAccount", on_delete=models.PROTECT,
                                    related_name="topups")
    amount = MoneyField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                        currency_choices=CURRENCY_CHOICES)
    trigger = models.CharField(max_length=6, choices=Trigger.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due (a lease while one runs); null once settled or failed.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    gateway = models.CharField(max_length=10)
    # The gateway's charge (a Stripe PaymentIntent id, or the sandbox's).
    charge_id = models.CharField(max_length=255, blank=True)
    # For the authentication page (Stripe.js confirms the PaymentIntent with it).
    client_secret = models.CharField(max_length=255, blank=True)
    last_error = models.JSONField(null=True, blank=True)
    entry = models.OneToOneField("wallets.Entry", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="topup")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # The request that asked for it (an Add funds form's token): the same request sent twice
    # makes one top-up. Empty for automatic top-ups.
    request_key = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["wallet"], condition=Q(status__in=[
                    "pending", "processing", "requires_action", "retrying"]),
                name="topup_one_in_flight_per_wallet",
                violation_error_message="A top-up is already in progress for this wallet.",
            ),
            models.UniqueConstraint(
                fields=["wallet", "request_key"], condition=~Q(request_key=""),
                name="topup_request_key_unique_per_wallet",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="topup_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="succeeded", entry__isnull=False)
                | ~Q(status="succeeded") & Q(entry__isnull=True),
                name="topup_settled_has_entry",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="topup_due"),
            models.Index(fields=["wallet", "trigger", "created_at"], name="topup_recent_auto"),
        ]

    def __str__(self):
        return f"Top-up {self.amount} ({self.status})"

    @property
    def in_flight(self) -> bool:
        return self.status in self.IN_FLIGHT

    @property
    def idempotency_key(self) -> str:
        """The gateway charge's key and the ledger entry's key."""
        return f"topup:{self.pk}"


class TopUpRefund(models.Model):
    """Part or all of a settled top-up sent back to the card (`payments.corrections
    .topup_refund`). Written (committed) before the gateway is asked, under the wallet and
    top-up locks, so refunds racing each other see each other and never pass the charge;
    the gateway's key and the ledger entry's key are this row's own (`refund:<id>`), so a
    replay never refunds twice. `request_key` is the agency's idempotency key (its
    `ActionKey`), unique per top-up."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sent to the gateway"
        SUCCEEDED = "succeeded", "Refunded"
        FAILED = "failed", "Refused by the gateway"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    topup = models.ForeignKey(TopUp, on_delete=models.PROTECT, related_name="refunds")
    amount = MoneyField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                        currency_choices=CURRENCY_CHOICES)
    reason = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    request_key = models.CharField(max_length=255, blank=True, default="")
    gateway_refund_id = models.CharField(max_length=255, blank=True)
    error = models.JSONField(null=True, blank=True)
    entry = models.OneToOneField("wallets.Entry", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="topup_refund")
    actor_label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="topup_refund_positive"),
            models.UniqueConstraint(fields=["topup", "request_key"],
                                    condition=~Q(request_key=""),
                                    name="topup_refund_request_key_unique"),
            models.CheckConstraint(
                condition=Q(status="succeeded", entry__isnull=False)
                | ~Q(status="succeeded") & Q(entry__isnull=True),
                name="topup_refund_settled_has_entry",
            ),
        ]

    def __str__(self):
        return f"Refund {self.amount} of {self.topup_id} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        """The gateway refund's key and the ledger entry's key."""
        return f"refund:{self.pk}"


class TopUpAttempt(models.Model):
    class Status(models.TextChoices):
        STARTED = "started"
        SUCCEEDED = "succeeded"
        DECLINED = "declined"
        REQUIRES_ACTION = "requires_action"

    topup = models.ForeignKey(TopUp, on_delete=models.PROTECT, related_name="attempt_rows")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STARTED)
    payment_method = models.CharField(max_length=255, blank=True)
    error = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["topup", "number"]
        constraints = [
            models.UniqueConstraint(fields=["topup", "number"], name="topup_attempt_unique"),
        ]

    def __str__(self):
        return f"attempt {self.number} of {self.topup_id}: {self.status}"


class PaymentEvent(models.Model):
    """One gateway event (a Stripe webhook, by its `event.id`) and how processing it went.

    The unique event id makes a duplicate delivery a no-op; the status and error make each
    processing auditable and replayable.
    """

    class Status(models.TextChoices):
        STARTED = "started"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STARTED)
    error = models.JSONField(null=True, blank=True)
    # What processing did ("settled", "ignored: ...") once it succeeded.
    outcome = models.CharField(max_length=200, blank=True)
    tries = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.event_id} ({self.status})"


class Notification(models.Model):
    """An alert shown to the agency's users (and emailed); `dedupe_key` makes it once-only."""

    class Kind(models.TextChoices):
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        AUTHENTICATION_REQUIRED = "authentication_required", "Authentication required"
        SUSPENDED = "suspended", "Suspended"
        LIFTED = "lifted", "Suspension lifted"
        RUNAWAY = "runaway", "Auto top-up paused"
        LOW_BALANCE = "low_balance", "Low balance"
        SPEND_ALERT = "spend_alert", "Spend alert"
        CREDIT_LIMIT = "credit_limit", "Credit limit reached"
        CREDIT_LIMIT_LIFTED = "credit_limit_lifted", "Back within the credit limit"
        WEBHOOK_DISABLED = "webhook_disabled", "Webhook endpoint disabled"

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE,
                               related_name="notifications")
    sub_account = models.ForeignKey("subaccounts.SubAccount", null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    message = models.CharField(max_length=500)
    dedupe_key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "-created_at"], name="notification_agency"),
            # The nav's unread count and the "unread" filter: only the unread rows, which the
            # agency keeps few by reading them.
            models.Index(fields=["agency", "-created_at"], condition=Q(read_at__isnull=True),
                         name="notification_unread"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.message}"


class SandboxCharge(models.Model):
    """The sandbox gateway's memory of charges, by idempotency key, like Stripe's own: asking
    again with the same key answers the charge already made instead of charging again."""

    id = models.CharField(primary_key=True, max_length=40)
    idempotency_key = models.CharField(max_length=255, unique=True)
    customer = models.CharField(max_length=255)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=30)
    payment_method = models.CharField(max_length=255, blank=True)
    # Each confirmation, by its own key: [{"key", "payment_method", "outcome"}].
    confirmations = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.id} {self.status}"
