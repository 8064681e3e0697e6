from django.contrib import admin

from .models import ClientMembership, PriceOverride, SubAccount


class ClientMembershipInline(admin.TabularInline):
    model = ClientMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(SubAccount)
class SubAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "external_id", "rebilling_enabled",
                    "itemised_usage_visible", "suspended_at", "created_at"]
    list_filter = ["rebilling_enabled", "itemised_usage_visible", "agency"]
    search_fields = ["name", "external_id", "id", "agency__name"]
    date_hierarchy = "created_at"
    readonly_fields = ["suspended_at", "suspension_reason"]
    inlines = [ClientMembershipInline]


@admin.register(PriceOverride)
class PriceOverrideAdmin(admin.ModelAdmin):
    list_display = ["sub_account", "item", "price", "tiers", "cleared", "effective_from"]
    list_filter = ["item", "cleared"]
    search_fields = ["sub_account__name"]
