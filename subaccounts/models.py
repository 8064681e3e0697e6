"""An agency's clients (sub-accounts) and their people.

This is the app's models module, so it imports the price tables (`subaccounts.pricing.models`:
the catalog, base costs, agency prices and client overrides) for Django to register them.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField

from agencies.models import CURRENCY_CHOICES, Agency
from hoopbilling.history import tracked
from hoopbilling.money import DECIMAL_PLACES, MAX_DIGITS
from subaccounts.pricing import models as pricing_models  # noqa: F401  (registers them)


class SuspensionReason(models.TextChoices):
    PAYMENT_FAILED = "payment_failed", "Card payments failed"
    CREDIT_LIMIT = "credit_limit", "Credit limit reached"
    AGENCY = "agency", "Suspended by the agency"


# The database history of the client's settings, suspension and card (`SubAccountEvent`).
@tracked()
class SubAccount(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="sub_accounts")
    name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    rebilling_enabled = models.BooleanField(default=True)
    itemised_usage_visible = models.BooleanField(
        default=True, help_text="Whether the client's own users may see line-by-line usage.",
    )
    # How far below zero the wallet may go; null: the agency's `credit_limit`.
    credit_limit = MoneyField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                              currency_choices=CURRENCY_CHOICES, null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    # Why it is suspended (a code, the API's `suspension_reason`) and in words (`note`).
    suspension_reason = models.CharField(max_length=255, choices=SuspensionReason.choices,
                                         blank=True)
    suspension_note = models.CharField(max_length=255, blank=True)
    # The item codes this suspension blocks; empty: the agency's (`subaccounts.suspension`).
    suspension_items = models.JSONField(default=list, blank=True)
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
                condition=Q(suspended_at__isnull=True, suspension_reason="")
                | Q(suspended_at__isnull=False) & ~Q(suspension_reason=""),
                name="subaccount_suspension_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="subaccount_credit_limit_not_negative",
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
    def effective_credit_limit(self) -> Decimal:
        """How far below zero the wallet may go: the client's own limit, else the agency's."""
        own = self.credit_limit
        return (own if own is not None else self.agency.credit_limit).amount

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
