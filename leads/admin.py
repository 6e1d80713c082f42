from django import forms
from django.contrib import admin

from apikeys.network import request_client_ip
from audit.services import Actor
from crm.errors import ServiceError

from .models import MAX_TAG_LENGTH, Activity, Lead
from .normalization import normalize_email, normalize_phone, validate_phone
from .services import check_contact, lead_update, lead_upsert


class LeadAdminForm(forms.ModelForm):
    """The admin's lead form checks what the API and the UI check (a possible phone, a phone or
    an email, tags as a list of short strings, no second lead with the same phone or email);
    LeadAdmin then saves through the lead services so the timeline and audit log see it."""

    class Meta:
        model = Lead
        fields = [
            "name", "email", "phone", "company", "city", "source", "status", "priority", "tags",
            "deal_value", "notes", "assigned_to",
        ]  # fmt: skip

    def clean_phone(self):
        phone = (self.cleaned_data.get("phone") or "").strip() or None
        if phone:
            validate_phone(phone)
            self._check_unique("phone_e164", normalize_phone(phone), "phone")
        return phone

    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip() or None
        if email:
            self._check_unique("email_key", normalize_email(email), "email")
        return email

    def clean_tags(self):
        tags = self.cleaned_data.get("tags")
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise forms.ValidationError('Tags are a JSON list of strings, e.g. ["vip", "ivr"].')
        if any(len(tag) > MAX_TAG_LENGTH for tag in tags):
            raise forms.ValidationError(f"Each tag is at most {MAX_TAG_LENGTH} characters.")
        return tags

    def clean(self):
        cleaned = super().clean()
        for optional in ("company", "city", "notes"):
            if cleaned.get(optional) == "":
                cleaned[optional] = None
        try:
            check_contact(cleaned.get("phone"), cleaned.get("email"))
        except ServiceError as error:
            raise forms.ValidationError(error.message) from None
        return cleaned

    def _check_unique(self, key_field: str, key: str, field: str) -> None:
        other = Lead.objects.exclude(pk=self.instance.pk).filter(**{key_field: key}).first()
        if other is not None:
            raise forms.ValidationError(f"The lead “{other}” already has this {field}.")


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

    def save_model(self, request, obj, form, change):
        """Through the services, like every other write: timeline, audit log, the same rules."""
        actor = Actor(user=request.user, ip=request_client_ip(request))
        if change:
            lead_update(actor=actor, lead=obj, fields=form.cleaned_data)
        else:
            obj.pk = lead_upsert(actor=actor, fields=form.cleaned_data).lead.pk
        obj.refresh_from_db()


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created_at", "lead", "kind", "message", "actor"]
    list_filter = ["kind", "created_at"]
    search_fields = ["message", "lead__name"]
    list_select_related = ["lead", "actor"]
    raw_id_fields = ["lead"]
    show_full_result_count = False
