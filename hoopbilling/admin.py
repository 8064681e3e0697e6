from django.contrib import admin

from .models import AuditLog, FailedLogin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: viewable, never added, changed or deleted from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label", "reason"]
    date_hierarchy = "created_at"



@admin.register(FailedLogin)
class FailedLoginAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "username", "ip_address", "user", "path"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "created_at"
