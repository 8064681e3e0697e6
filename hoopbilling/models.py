"""The platform-wide audit log: who changed what, when, with the before and after.

Every service that applies a person's change writes one row in the same transaction
(`audit_record`). Rows are append-only: on PostgreSQL a trigger refuses UPDATE and DELETE.
"""

from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # PROTECT: the log is append-only, so a user who acted is deactivated, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # Who acted when no user did: "api-key:<prefix>", "system", "operator-cli".
    actor_label = models.CharField(max_length=120, blank=True)
    agency_id = models.UUIDField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.action} {self.object_type}:{self.object_id}"


class FailedLogin(models.Model):
    """One refused login (wrong password or unknown account), from any login form.

    Written by `hoopbilling.security` for every `user_login_failed`; the login rate limit
    counts in the cache, this table is the record operators read in the admin."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=254)
    # The account the name belongs to, when there is one.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    path = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["username", "-created_at"]),
                   models.Index(fields=["ip_address", "-created_at"])]

    def __str__(self):
        return f"{self.username} from {self.ip_address} at {self.created_at:%Y-%m-%d %H:%M}"


class OutgoingEmail(models.Model):
    """One email to one recipient, written in the transaction of the change it reports (the
    outbox of `hoopbilling.mail`): a rollback leaves no row and so mails nobody; a commit
    leaves a row that a worker sends, retries with backoff, and the sweep picks up when its
    task was never queued."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"

    created_at = models.DateTimeField(auto_now_add=True)
    # What made it (a notification, a password reset): with the recipient, once only.
    dedupe_key = models.CharField(max_length=200)
    to = models.EmailField(max_length=254)
    from_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When a pending row may be tried again; when a worker claimed a sending one.
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The email service provider's id for the message (django-anymail backends), and the
    # latest delivery event its webhook reported (delivered, bounced, complained, ...).
    provider_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    delivery_event = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["dedupe_key", "to"],
                                               name="outgoing_email_once_per_recipient")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.subject} to {self.to} ({self.status})"
