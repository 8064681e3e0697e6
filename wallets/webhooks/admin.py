"""Outbound webhooks in the operators' admin, read-only: agencies manage their endpoints on
their own pages and through the API (each change audited by `services`); events, deliveries
and attempts are history. Secrets are never shown."""

from django.contrib import admin

from hoopbilling.admin import ReadOnlyAdmin
from wallets.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "agency", "events", "enabled", "failing_since", "created_at"]
    list_filter = ["enabled", ("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["url", "agency__name"]
    list_select_related = ["agency"]
    exclude = ["secret", "previous_secret"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "type", "agency", "sub_account", "created_at"]
    list_filter = ["type", ("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["id", "agency__name", "sub_account__name"]
    date_hierarchy = "created_at"
    list_select_related = ["agency", "sub_account"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "status_code", "latency_ms", "error", "response_excerpt"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "last_status_code",
                    "next_attempt_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["event__id", "endpoint__url"]
    list_select_related = ["event", "endpoint"]
    inlines = [WebhookAttemptInline]
