from django import forms
from django.contrib import admin

from .models import Activity, Lead
from .normalization import InvalidPhone, normalize_phone


class LeadAdminForm(forms.ModelForm):
    class Meta:
        model = Lead
        fields = [
            "name", "email", "phone", "company", "city", "source", "status", "priority", "tags",
            "deal_value", "notes", "assigned_to",
        ]  # fmt: skip

    def clean_phone(self):
        phone = self.cleaned_data.get("phone") or None
        if phone:
            try:
                normalize_phone(phone)
            except InvalidPhone as exc:
                raise forms.ValidationError(str(exc)) from None
        return phone

    def clean_email(self):
        return self.cleaned_data.get("email") or None

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email"):
            raise forms.ValidationError("A lead needs a phone or an email.")
        return cleaned


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    fields = ["created_at", "kind", "message", "actor"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    form = LeadAdminForm
    list_display = [
        "name", "phone", "email", "company", "source", "status", "priority", "assigned_to",
        "created_at",
    ]  # fmt: skip
    list_filter = ["status", "priority", "source", "created_at", "assigned_to"]
    search_fields = ["name", "phone", "phone_e164", "email", "company", "city"]
    list_select_related = ["assigned_to"]
    autocomplete_fields = ["assigned_to"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "phone_e164", "email_key", "created_at", "updated_at"]
    show_full_result_count = False  # counting 100k rows on every admin page load is wasted work
    inlines = [ActivityInline]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "lead", "kind", "message", "actor"]
    list_filter = ["kind", "created_at"]
    search_fields = ["message", "lead__name"]
    list_select_related = ["lead", "actor"]
    raw_id_fields = ["lead"]
    show_full_result_count = False
