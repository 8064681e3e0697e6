"""Agencies, their people and API keys, and the platform's catalog of billable items.

Base costs and agency prices are effective-dated: a change is a new row that applies from
`effective_from` on, so every past charge can be explained by the row in force at the time.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField

from hoopbilling.encryption import EncryptedTextField
from hoopbilling.money import DECIMAL_PLACES, MAX_DIGITS

CURRENCY_CHOICES = [(code, code) for code in settings.CURRENCIES]


def default_retry_schedule():
    return [1, 6, 24]


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
    # Items a suspension blocks; empty means the default: every messaging and calling item.
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
    # 0003): a price book cached under an older version is never used again.
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
        ]

    def __str__(self):
        return self.name


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


SUSPENDED_CATEGORIES_BY_DEFAULT = ("messaging", "calling")


class BillableItem(models.Model):
    """One of the nine fixed items (docs/api.md#item-codes-and-measurement); `price_per` units
    share one price."""

    class Category(models.TextChoices):
        MESSAGING = "messaging"
        CALLING = "calling"
        EMAIL = "email"
        AUTOMATION = "automation"
        AI = "ai"
        REVIEWS = "reviews"

    code = models.CharField(max_length=40, primary_key=True)
    name = models.CharField(max_length=100)
    unit = models.CharField(max_length=20)
    price_per = models.PositiveIntegerField(default=1)
    category = models.CharField(max_length=20, choices=Category.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(price_per__gte=1), name="item_price_per_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def priced_per_label(self):
        return self.unit if self.price_per == 1 else f"{self.price_per:,} {self.unit}s"


class BaseCost(models.Model):
    """What the platform charges an agency per `price_per` units of an item, from a moment on."""

    item = models.ForeignKey(BillableItem, on_delete=models.PROTECT, related_name="base_costs")
    cost = MoneyField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                      currency_choices=CURRENCY_CHOICES)
    effective_from = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["item", "cost_currency", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "cost_currency", "effective_from"], name="base_cost_unique_moment",
            ),
            models.CheckConstraint(condition=Q(cost__gte=0), name="base_cost_not_negative"),
        ]
        indexes = [models.Index(fields=["item", "cost_currency", "-effective_from"])]

    def __str__(self):
        return f"{self.item_id} {self.cost} from {self.effective_from:%Y-%m-%d %H:%M}"


class AgencyPrice(models.Model):
    """The agency's retail price for an item from `effective_from` on: flat or graduated tiers."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="prices")
    item = models.ForeignKey(BillableItem, on_delete=models.PROTECT, related_name="+")
    price = MoneyField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True,
                       blank=True, currency_choices=CURRENCY_CHOICES)
    tiers = models.JSONField(null=True, blank=True)
    subsidize = models.BooleanField(default=False)
    effective_from = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["agency", "item", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(price__isnull=False, tiers__isnull=True)
                           | Q(price__isnull=True, tiers__isnull=False)),
                name="agency_price_flat_xor_tiers",
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="agency_price_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["agency", "item", "-effective_from"])]

    def __str__(self):
        return f"{self.agency} {self.item_id} from {self.effective_from:%Y-%m-%d %H:%M}"
