"""The price tables: the platform's catalog of billable items and its base costs, the agencies'
prices and their clients' overrides.

Base costs, prices and overrides are effective-dated: a change is a new row that applies from
`effective_from` on, so every past charge can be explained by the row in force at the time.

The catalog, base costs and agency prices kept the tables they had in the `agencies` app
(`db_table`); PostgreSQL triggers on the three price tables raise the agency's
`prices_version` on every write (migrations agencies 0005, subaccounts 0003). Every write to
the four tables is also kept in the database history (`hoopbilling.history.tracked`: the
`<Model>Event` tables).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import MoneyField

from agencies.models import CURRENCY_CHOICES, Agency
from hoopbilling.history import tracked
from hoopbilling.money import DECIMAL_PLACES, MAX_DIGITS


@tracked()
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
        db_table = "agencies_billableitem"
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(price_per__gte=1), name="item_price_per_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def priced_per_label(self):
        return self.unit if self.price_per == 1 else f"{self.price_per:,} {self.unit}s"


@tracked()
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
        db_table = "agencies_basecost"
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


# What every row of a price list is, besides the rules (`rules.price_validate`): a flat price
# or tiers, exactly one (an override may instead be `cleared`), and never a negative price.
FLAT = Q(price__isnull=False, tiers__isnull=True)
TIERED = Q(price__isnull=True, tiers__isnull=False)
NEITHER = Q(price__isnull=True, tiers__isnull=True)
NOT_NEGATIVE = Q(price__isnull=True) | Q(price__gte=0)


class ListPrice(models.Model):
    """A row of an agency's price list: its price for an item from `effective_from` on, per
    `item.price_per` units in the agency's currency, flat (`price`) or graduated `tiers`;
    `subsidize` lets it be below the base cost. For every client (`AgencyPrice`) or for one
    (`PriceOverride`); written only by `services.price_set` / `price_clear`."""

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
        abstract = True

    def __str__(self):
        return f"{self.owner} {self.item_id} from {self.effective_from:%Y-%m-%d %H:%M}"


@tracked()
class AgencyPrice(ListPrice):
    """The agency's retail price for an item, for every client without an override."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="prices")

    class Meta:
        db_table = "agencies_agencyprice"
        ordering = ["agency", "item", "-effective_from"]
        constraints = [
            models.CheckConstraint(condition=FLAT | TIERED, name="agency_price_flat_xor_tiers"),
            models.CheckConstraint(condition=NOT_NEGATIVE, name="agency_price_not_negative"),
        ]
        indexes = [models.Index(fields=["agency", "item", "-effective_from"])]

    @property
    def owner(self):
        return self.agency


@tracked()
class PriceOverride(ListPrice):
    """A client's own price for an item.

    `cleared=True` rows end an override ("reset to agency price") without erasing history.
    """

    sub_account = models.ForeignKey("subaccounts.SubAccount", on_delete=models.CASCADE,
                                    related_name="price_overrides")
    cleared = models.BooleanField(default=False)

    class Meta:
        ordering = ["sub_account", "item", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(cleared=True) & NEITHER | Q(cleared=False) & FLAT
                           | Q(cleared=False) & TIERED),
                name="override_flat_xor_tiers_or_cleared",
            ),
            models.CheckConstraint(condition=NOT_NEGATIVE, name="override_not_negative"),
        ]
        indexes = [models.Index(fields=["sub_account", "item", "-effective_from"])]

    @property
    def owner(self):
        return self.sub_account
