"""An agency's clients (sub-accounts) and their people.

This is the app's models module, so it imports the price tables (`subaccounts.pricing.models`:
the catalog, base costs, agency prices and client overrides) for Django to register them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from agencies.models import Agency
from hoopbilling.history import tracked
from subaccounts.pricing import models as pricing_models  # noqa: F401  (registers them)


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
