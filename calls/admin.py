from django.contrib import admin

from .models import CallLog


@admin.register(CallLog)
class CallLogAdmin(admin.ModelAdmin):
    list_display = ["called_at", "lead", "call_type", "duration_seconds", "outcome"]
    list_filter = ["call_type", "outcome", "called_at"]
    search_fields = ["lead__name", "lead__phone", "notes"]
    list_select_related = ["lead"]
    raw_id_fields = ["lead"]
    date_hierarchy = "called_at"
    show_full_result_count = False
