from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ServiceAdmin, form_errors_from
from core.errors import ServiceError
from events.models import Channel
from events.services import Actor
from pipelines.models import Stage
from pipelines.selectors import Placement

from .models import Lead, Note
from .rules import EDITABLE_FIELDS, check_contact, clean_lead_fields
from .selectors import lead_duplicates
from .services import lead_create, lead_delete, lead_update


class LeadAdminForm(forms.ModelForm):
    """The admin's lead form checks with the lead rules (leads.rules) and for duplicates before
    saving, so its errors show next to the fields; LeadAdmin then saves through the services."""

    stage = forms.ModelChoiceField(
        queryset=Stage.objects.active().filter(pipeline__archived_at__isnull=True),
        required=False,
        help_text="Its status becomes the lead's. Empty: the stage of the status chosen.",
    )

    class Meta:
        model = Lead
        fields = EDITABLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = self.fields["stage"].queryset.select_related("pipeline")
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline.name} › {s.name}"
        # What the lead was before this form (the admin copies the form's values onto the
        # instance before saving).
        self.saved = None if self.instance._state.adding else Lead.objects.get(pk=self.instance.pk)
        if self.saved is not None:
            self.initial["stage"] = self.saved.stage_id

    def service_fields(self) -> dict:
        """What to send the services: the editable fields, and the stage when it was chosen
        (a stage and a status that disagree are the services' 400 on `status`). On an edit,
        only what changed of the two is sent: a new status moves the lead within its
        pipeline, a new stage sets the status."""
        fields = {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}
        stage = self.cleaned_data.get("stage")
        if self.saved is None:
            if stage is not None:
                fields["stage_id"] = stage.pk
                if fields["status"] == self.fields["status"].initial:  # left as it came
                    del fields["status"]
            return fields
        if stage is not None and stage.pk != self.saved.stage_id:
            fields["stage_id"] = stage.pk
            if fields["status"] == self.saved.status:
                del fields["status"]
        return fields

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            rules_cleaned = clean_lead_fields(cleaned)
            check_contact(rules_cleaned.get("phone"), rules_cleaned.get("email"))
        except ServiceError as error:
            form_errors_from(self, error)
            return cleaned
        cleaned.update(rules_cleaned)
        existing = None if self.instance._state.adding else self.instance
        fields = self.service_fields()
        try:  # where the lead would go: a stage and a status that disagree are refused
            Placement().stage_for(
                current=self.saved.stage if self.saved else None,
                stage_id=fields.get("stage_id"),
                status=fields.get("status"),
            )
        except ServiceError as error:
            form_errors_from(self, error)
        duplicates = lead_duplicates(
            phone=cleaned.get("phone"), email=cleaned.get("email"), exclude=existing
        )
        for field, other in duplicates.items():
            self.add_error(field, f"The lead “{other}” already has this {field}.")
        return cleaned


@admin.register(Lead)
class LeadAdmin(ServiceAdmin):
    form = LeadAdminForm
    list_display = [
        "name", "phone", "email", "company", "source", "status", "stage", "priority",
        "assigned_to", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "stage__pipeline", "priority", "source", "created_at", "assigned_to"]
    search_fields = ["name", "phone", "phone_e164", "email", "company", "city"]
    list_select_related = ["assigned_to", "stage"]
    autocomplete_fields = ["assigned_to"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "phone_e164", "email_key", "created_at", "updated_at", "history"]
    show_full_result_count = False  # counting 100k rows on every admin page load is wasted work

    @admin.display(description="History")
    def history(self, lead: Lead) -> str:
        if lead._state.adding:
            return "—"
        url = reverse("admin:events_event_changelist") + f"?q={lead.pk}"
        return format_html('<a href="{}">Every change to this lead, its calls and notes</a>', url)

    def save_model(self, request, obj, form, change):
        """Through the services, like every other write: the same rules, one event each. A new
        lead never merges into an existing one here (the form refuses duplicates)."""
        actor = Actor.for_request(request, Channel.ADMIN)
        fields = form.service_fields()
        if change:
            lead_update(actor=actor, lead=obj, fields=fields)
        else:
            obj.pk = lead_create(actor=actor, fields=fields).pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        lead_delete(actor=Actor.for_request(request, Channel.ADMIN), lead=obj)

    def delete_queryset(self, request, queryset):
        actor = Actor.for_request(request, Channel.ADMIN)
        for lead in queryset:
            lead_delete(actor=actor, lead=lead)


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    """Notes are written on the lead's page (and recorded as events); here they are read."""

    list_display = ["created_at", "lead", "author", "text"]
    search_fields = ["text", "lead__name"]
    list_select_related = ["lead", "author"]
    readonly_fields = ["lead", "text", "author", "created_at"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
