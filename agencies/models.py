"""Agencies, their people and their API keys. An agency's prices are `subaccounts.pricing`'s
(they come with its clients' overrides)."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField
from moneyed import Money
from pghistory import UpdateEvent
from pgtrigger import AnyChange

from hoopbilling.encryption import EncryptedTextField
from hoopbilling.history import tracked
from hoopbilling.money import DECIMAL_PLACES, MAX_DIGITS

CURRENCY_CHOICES = [(code, code) for code in settings.CURRENCIES]


def default_retry_schedule():
    return [1, 6, 24]


# The database history of the agency's settings (`AgencyEvent`). Not `prices_version`: the
# price triggers raise it on every price write, which is the prices' own history. Not the
# restricted key: it stays out of the history (a copy there would outlive its rotation); its
# change is an event of its own, `stripe_key.update`, with the other settings as they are.
@tracked(UpdateEvent("stripe_key.update", condition=AnyChange("stripe_restricted_key")),
         exclude=["prices_version", "stripe_restricted_key"])
class Agency(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    plan_rebilling_allowed = models.BooleanField(
        "plan allows rebilling", default=True,
        help_text="Set by the platform: whether this agency's plan includes rebilling.",
    )
    rebilling_enabled = models.BooleanField(default=True)
    retry_schedule_hours = models.JSONField(default=default_retry_schedule)
    # How far below zero a rebilled client's wallet may go, unless the client has its own.
    credit_limit = MoneyField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                              currency_choices=CURRENCY_CHOICES, default=0,
                              default_currency="USD")
    # Item codes a suspension blocks; empty means the default: every messaging and calling item
    # (`subaccounts.suspension`).
    suspension_blocked_items = models.JSONField(default=list, blank=True)
    billing_anchor_day = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    # The agency's own Stripe account: a Connect account id (charges made on its behalf) or a
    # restricted key of its own (encrypted at rest). Neither set: charges go through the
    # platform's account.
    stripe_account_id = models.CharField(max_length=255, blank=True)
    stripe_restricted_key = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Raised by database triggers on every write of this agency's prices, its clients'
    # overrides or the base costs of its currency (migrations agencies 0005, subaccounts
    # 0003): a price book cached under an older version (`subaccounts.pricing.book`) is never
    # used again.
    prices_version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rebilling_enabled=False) | Q(plan_rebilling_allowed=True),
                name="agency_rebilling_needs_plan",
                violation_error_message="This agency's plan does not allow rebilling.",
            ),
            models.CheckConstraint(
                condition=Q(billing_anchor_day__gte=1, billing_anchor_day__lte=28),
                name="agency_anchor_day_1_to_28",
            ),
            models.CheckConstraint(
                condition=Q(currency__in=settings.CURRENCIES), name="agency_currency_known",
            ),
            models.CheckConstraint(condition=Q(credit_limit__gte=0),
                                   name="agency_credit_limit_not_negative"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The credit limit is in the agency's one currency.
        if self.credit_limit.currency.code != self.currency:
            self.credit_limit = Money(self.credit_limit.amount, self.currency)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "credit_limit_currency"}
        super().save(*args, **kwargs)


class AgencyMembership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Agency admin"
        STAFF = "staff", "Agency staff"

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_memberships",
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "user"], name="agency_membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} of {self.agency}"


class ApiKey(models.Model):
    """An agency's API key. Only a SHA-256 of the secret is stored; the prefix identifies it."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="Default")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self):
        return self.revoked_at is None


class ActionKey(models.Model):
    """An `idempotency_key` an agency sent with one of its actions (a credit, a refund, a
    suspension...; `agencies.idempotency`): keys are the agency's, shared by every action, so
    the same key with the same request answers the first result and with another one is a
    conflict. `fingerprint` is the SHA-256 of the action and its request."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="action_keys")
    key = models.CharField(max_length=255)
    action = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "key"], name="action_key_unique"),
        ]

    def __str__(self):
        return f"{self.action} {self.key}"
