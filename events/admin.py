from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The audit log: every change, read-only (events are written only by the services)."""

    list_display = [
        "occurred_at",
        "verb",
        "subject_repr",
        "actor_email",
        "channel",
        "api_key_label",
        "ip",
    ]
    list_filter = ["verb", "channel", "subject_type", "occurred_at"]
    search_fields = [
        "=subject_id",
        "=lead_id",
        "subject_repr",
        "actor_email",
        "api_key_label",
        "=ip",
    ]
    date_hierarchy = "occurred_at"
    readonly_fields = [field.name for field in Event._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
