from django.contrib import admin

from hoopbilling.admin import ReadOnlyAdmin

from .models import Entry, Wallet


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    list_display = ["sub_account", "balance", "auto_topup_enabled", "auto_topup_threshold",
                    "auto_topup_amount", "last_seq", "updated_at"]
    list_filter = ["auto_topup_enabled", "balance_currency"]
    search_fields = ["sub_account__name", "sub_account__agency__name"]
    readonly_fields = ["sub_account", "balance", "last_seq", "last_hash", "created_at",
                       "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    """The ledger is never edited here: corrections are new entries posted by services."""

    list_display = ["wallet", "seq", "kind", "amount", "balance_after", "reference_type",
                    "created_at"]
    list_filter = ["kind", "amount_currency"]
    search_fields = ["idempotency_key", "reference_id", "wallet__sub_account__name"]
    date_hierarchy = "created_at"
    list_select_related = ["wallet__sub_account"]
