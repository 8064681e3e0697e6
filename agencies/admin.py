from django.contrib import admin

from .models import Agency, AgencyMembership, AgencyPrice, ApiKey, BaseCost, BillableItem


class AgencyMembershipInline(admin.TabularInline):
    model = AgencyMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "currency", "plan_rebilling_allowed", "rebilling_enabled",
                    "created_at"]
    list_filter = ["plan_rebilling_allowed", "rebilling_enabled", "currency"]
    search_fields = ["name", "id"]
    date_hierarchy = "created_at"
    inlines = [AgencyMembershipInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "agency", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "agency__name"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]


class BaseCostInline(admin.TabularInline):
    model = BaseCost
    extra = 0
    can_delete = False
    readonly_fields = ["cost", "effective_from", "created_at", "created_by"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BillableItem)
class BillableItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "price_per", "category", "position"]
    list_filter = ["category"]
    inlines = [BaseCostInline]


@admin.register(BaseCost)
class BaseCostAdmin(admin.ModelAdmin):
    list_display = ["item", "cost", "effective_from", "created_by"]
    list_filter = ["item", "cost_currency"]
    date_hierarchy = "effective_from"


@admin.register(AgencyPrice)
class AgencyPriceAdmin(admin.ModelAdmin):
    list_display = ["agency", "item", "price", "tiers", "subsidize", "effective_from"]
    list_filter = ["item", "subsidize"]
    search_fields = ["agency__name"]
    date_hierarchy = "effective_from"
