from django import forms
from django.contrib import admin, messages

from core.admin import ServiceAdmin
from events.models import Channel
from events.services import Actor

from .forms import AllowlistField
from .models import APIKey
from .services import EDITABLE_FIELDS, apikey_revoke, apikey_update


class APIKeyAdminForm(forms.ModelForm):
    allowed_ips = AllowlistField()

    class Meta:
        model = APIKey
        fields = sorted(EDITABLE_FIELDS)


@admin.register(APIKey)
class APIKeyAdmin(ServiceAdmin):
    """Keys are created and regenerated on Settings → Integrations → API, the only place that
    can show a raw key once. Here they are listed, edited (validated and recorded like the
    settings page, through apikeys.services) and revoked; never deleted, so that their events
    keep naming them."""

    form = APIKeyAdminForm
    list_display = [
        "name", "prefix", "user", "can_read", "can_write", "can_delete", "rate_limit_per_minute",
        "created_at", "last_used_at", "revoked_at",
    ]  # fmt: skip
    list_filter = ["can_read", "can_write", "can_delete", "revoked_at", "created_at"]
    search_fields = ["name", "prefix", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    fields = [
        "name", "user", "can_read", "can_write", "can_delete", "allowed_ips",
        "rate_limit_per_minute", "prefix", "created_at", "last_used_at", "last_used_ip",
        "revoked_at",
    ]  # fmt: skip
    readonly_fields = ["prefix", "created_at", "last_used_at", "last_used_ip", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS}
        apikey_update(actor=Actor.for_request(request, Channel.ADMIN), api_key=obj, fields=fields)
        obj.refresh_from_db()

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        actor = Actor.for_request(request, Channel.ADMIN)
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            apikey_revoke(actor=actor, api_key=api_key)
            count += 1
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)
