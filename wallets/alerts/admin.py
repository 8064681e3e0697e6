"""Alerts in the operators' admin, read-only: agencies change their settings on their own
pages and through the API (each change audited by `services`); what fired is history."""

from django.contrib import admin

from hoopbilling.admin import ReadOnlyAdmin, money_column
from wallets.alerts.models import AlertSettings, FiredAlert, SpendAlert


class SpendAlertInline(admin.TabularInline):
    model = SpendAlert
    extra = 0
    can_delete = False
    fields = ["amount", "window", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AlertSettings)
class AlertSettingsAdmin(ReadOnlyAdmin):
    list_display = ["agency", "sub_account", "low_balance_levels", "updated_at"]
    list_filter = [("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["agency__name", "sub_account__name"]
    list_select_related = ["agency", "sub_account"]
    inlines = [SpendAlertInline]


@admin.register(FiredAlert)
class FiredAlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "agency", "sub_account", "kind", "threshold_text",
                    "value_text", "window", "window_start"]
    list_filter = ["kind", "window", ("agency", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["dedupe_key", "agency__name", "sub_account__name"]
    date_hierarchy = "created_at"
    list_select_related = ["agency", "sub_account"]
    threshold_text = money_column("threshold", "level or amount")
    value_text = money_column("value", "balance or spend")
