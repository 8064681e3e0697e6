"""Alert settings and what fired: spend alerts and low-balance levels, per client or as the
agency's default, and the rows that make each alert fire once.

- `AlertSettings`: one row per agency with `sub_account` null (the agency's default) and one
  per client that has its own; a client without a row of its own uses the default. Its
  `low_balance_levels` are decimal strings (the API's shape), highest first.
- `SpendAlert`: an amount of rebilled usage in a window (a UTC day, an ISO week from Monday
  00:00 UTC, or the agency's billing period).
- `LowBalanceState`: per client and level, whether the balance is below it, how many times
  it went below and up to which ledger entry that is known; the crossing number is part of
  the alert's key, so a level fires again only after the balance came back to it.
- `FiredAlert`: one row per alert that fired, unique by `dedupe_key`
  (`spend:<client>:<window>:<amount>:<window start>`, `low:<client>:<level>:<crossing>`): the
  guarantee that a replayed or concurrent evaluation alerts once, and the history pages.
"""

from django.db import models
from django.db.models import Q

from hoopbilling.money import DECIMAL_PLACES, MAX_DIGITS
from wallets.ledger.models import money_field


class AlertSettings(models.Model):
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE,
                               related_name="+")
    sub_account = models.OneToOneField("subaccounts.SubAccount", null=True, blank=True,
                                       on_delete=models.CASCADE, related_name="alert_settings")
    low_balance_levels = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "alert settings"
        constraints = [
            models.UniqueConstraint(fields=["agency"], condition=Q(sub_account__isnull=True),
                                    name="alert_settings_one_agency_default"),
        ]

    def __str__(self):
        return f"alerts of {self.sub_account_id or 'the agency'}"


class SpendAlert(models.Model):
    class Window(models.TextChoices):
        DAY = "day", "Day"
        WEEK = "week", "Week"
        PERIOD = "period", "Billing period"

    settings = models.ForeignKey(AlertSettings, on_delete=models.CASCADE,
                                 related_name="spend_alerts")
    amount = money_field()
    window = models.CharField(max_length=6, choices=Window.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["amount", "window", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="spend_alert_amount_positive"),
            models.CheckConstraint(condition=Q(window__in=["day", "week", "period"]),
                                   name="spend_alert_window_known"),
        ]

    def __str__(self):
        return f"{self.amount} per {self.window}"


class LowBalanceState(models.Model):
    sub_account = models.ForeignKey("subaccounts.SubAccount", on_delete=models.CASCADE,
                                    related_name="+")
    level = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    below = models.BooleanField(default=False)
    crossings = models.PositiveIntegerField(default=0)
    # The wallet's last entry when this was last evaluated: a level below then is re-armed by
    # any later entry that left the balance at or above it, even if the balance fell again
    # before this evaluation (a top-up spent at once).
    checked_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sub_account", "level"],
                                    name="low_balance_state_unique"),
        ]

    def __str__(self):
        return f"{self.sub_account_id} {'below' if self.below else 'at or above'} {self.level}"


class FiredAlert(models.Model):
    class Kind(models.TextChoices):
        LOW_BALANCE = "low_balance", "Low balance"
        SPEND = "spend", "Spend alert"

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    sub_account = models.ForeignKey("subaccounts.SubAccount", on_delete=models.CASCADE,
                                    related_name="+")
    kind = models.CharField(max_length=11, choices=Kind.choices)
    dedupe_key = models.CharField(max_length=255, unique=True)
    # The level, or the spend alert's amount; and the balance, or the window's total, when it
    # fired.
    threshold = money_field()
    value = money_field()
    window = models.CharField(max_length=6, choices=SpendAlert.Window.choices, blank=True)
    window_start = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "-created_at"], name="fired_alert_agency"),
            models.Index(fields=["sub_account", "-created_at"], name="fired_alert_client"),
        ]

    def __str__(self):
        return self.dedupe_key
