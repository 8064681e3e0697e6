"""Outbound webhooks: the agency's endpoints, the outbox of events and their deliveries.

- `WebhookEndpoint`: an agency's URL, the event types it hears (`["*"]` for all) and the
  secret that signs (`previous_secret` signs too until `previous_secret_expires_at`, so a
  receiver can switch secrets without missing an event). `failing_since` is the start of the
  current run of failures; after three days of it the endpoint is disabled.
- `WebhookEvent`: the outbox. Written in the same transaction as the change it describes, so
  a rollback leaves no event and a commit leaves one whatever happens to the worker, Redis
  or the receiver. Its id (`evt_` + 26 characters) is the one every retry carries.
- `WebhookDelivery`: one event for one endpoint, created with the event. `next_attempt_at` is
  when it is due and, while an attempt runs, the attempt's lease (pushed forward), so a
  killed worker's delivery is taken up again once the lease passes.
- `WebhookAttempt`: one row per HTTP attempt, written before the request is made: the log.
"""

from django.db import models
from django.db.models import Q

from hoopbilling.encryption import EncryptedTextField

# The types an endpoint may subscribe to (docs/webhooks.md#what-is-sent), "*" for every one.
EVENT_TYPES = (
    "topup.succeeded",
    "topup.failed",
    "subaccount.suspended",
    "subaccount.resumed",
    "wallet.low_balance",
    "usage.spend_alert",
    "credit.granted",
    "invoice.issued",
)
# Sent only by "send test event", to that endpoint only, whatever it subscribed to.
TEST_EVENT_TYPE = "webhook.test"


class WebhookEndpoint(models.Model):
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE,
                               related_name="webhook_endpoints")
    url = models.URLField(max_length=2048)
    # Event types this endpoint hears, or ["*"] for every type.
    events = models.JSONField(default=list)
    secret = EncryptedTextField()
    previous_secret = EncryptedTextField(blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["agency", "enabled"], name="webhook_endpoint_agency")]

    def __str__(self):
        return self.url

    def hears(self, event_type: str) -> bool:
        return "*" in self.events or event_type in self.events


class WebhookEvent(models.Model):
    id = models.CharField(primary_key=True, max_length=30, editable=False)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE,
                               related_name="+")
    sub_account = models.ForeignKey("subaccounts.SubAccount", null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40)
    # The event's `data`, plain JSON values (amounts as strings).
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["agency", "created_at"], name="webhook_event_agency")]

    def __str__(self):
        return f"{self.type} {self.id}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE,
                              related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    # The event's client, copied here so the per-client ordering rule reads one index.
    sub_account = models.ForeignKey("subaccounts.SubAccount", null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Attempts made in all; `failures` counts those of the current run (a resend starts a new
    # run) and picks the next backoff.
    attempts = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"],
                                    name="webhook_delivery_one_per_endpoint"),
            models.CheckConstraint(condition=Q(status__in=["pending", "succeeded", "failed"]),
                                   name="webhook_delivery_status_known"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"),
                         name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "sub_account", "id"], condition=Q(status="pending"),
                         name="webhook_delivery_order"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self):
        return f"{self.event_id} -> {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="attempt_rows")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Null while running, or when no HTTP answer came (refused, timeout, killed worker).
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    # At most 1 KiB of the answer's body.
    response_excerpt = models.TextField(blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"],
                                    name="webhook_attempt_number_unique"),
        ]

    def __str__(self):
        return f"attempt {self.number} of {self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
