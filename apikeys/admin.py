from django.contrib import admin

from .models import APIKey


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    """Keys are created and regenerated on Settings → Integrations → API, the only place that
    can show a raw key once; the admin lists, filters and edits them."""

    list_display = [
        "name", "prefix", "user", "can_read", "can_write", "can_delete", "rate_limit_per_minute",
        "created_at", "last_used_at", "revoked_at",
    ]  # fmt: skip
    list_filter = ["can_read", "can_write", "can_delete", "revoked_at", "created_at"]
    search_fields = ["name", "prefix", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "last_used_ip", "revoked_at"]

    def has_add_permission(self, request):
        return False
