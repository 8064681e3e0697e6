"""An agency's clients (sub-accounts), their people and their per-client price overrides."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField

from agencies.models import CURRENCY_CHOICES, Agency, BillableItem
from hoopbilling.money import DECIMAL_PLACES, MAX_DIGITS


class SubAccount(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="sub_accounts")
    name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    rebilling_enabled = models.BooleanField(default=True)
    itemised_usage_visible = models.BooleanField(
        default=True, help_text="Whether the client's own users may see line-by-line usage.",
    )
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=255, blank=True)
    # The client's own payment-gateway customer (never shared between clients) and its card.
    payment_gateway = models.CharField(max_length=10, blank=True)
    payment_customer_id = models.CharField(max_length=255, blank=True)
    payment_method_id = models.CharField(max_length=255, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "sub-account"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "external_id"], name="subaccount_external_id_unique",
                condition=Q(external_id__isnull=False),
            ),
            models.CheckConstraint(
                condition=Q(suspended_at__isnull=True) | ~Q(suspension_reason=""),
                name="subaccount_suspension_has_reason",
            ),
            models.UniqueConstraint(
                fields=["payment_gateway", "payment_customer_id"],
                condition=~Q(payment_customer_id=""), name="subaccount_own_payment_customer",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_rebilled(self) -> bool:
        """Usage is rebilled only when both the agency's and the client's switch are on."""
        return self.rebilling_enabled and self.agency.rebilling_enabled


class ClientMembership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Client admin"
        USER = "user", "Client user"

    sub_account = models.ForeignKey(SubAccount, on_delete=models.CASCADE,
                                    related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="client_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.USER)
    can_manage_billing = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sub_account", "user"],
                                    name="client_membership_unique"),
            models.CheckConstraint(
                condition=Q(can_manage_billing=False) | Q(role="admin"),
                name="client_billing_permission_admins_only",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} of {self.sub_account}"


class PriceOverride(models.Model):
    """A client's own price for an item from `effective_from` on.

    `cleared=True` rows end an override ("reset to agency price") without erasing history.
    """

    sub_account = models.ForeignKey(SubAccount, on_delete=models.CASCADE,
                                    related_name="price_overrides")
    item = models.ForeignKey(BillableItem, on_delete=models.PROTECT, related_name="+")
    price = MoneyField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True,
                       blank=True, currency_choices=CURRENCY_CHOICES)
    tiers = models.JSONField(null=True, blank=True)
    subsidize = models.BooleanField(default=False)
    cleared = models.BooleanField(default=False)
    effective_from = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["sub_account", "item", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(cleared=True, price__isnull=True, tiers__isnull=True)
                           | Q(cleared=False, price__isnull=False, tiers__isnull=True)
                           | Q(cleared=False, price__isnull=True, tiers__isnull=False)),
                name="override_flat_xor_tiers_or_cleared",
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="override_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["sub_account", "item", "-effective_from"])]

    def __str__(self):
        return f"{self.sub_account} {self.item_id} from {self.effective_from:%Y-%m-%d %H:%M}"
