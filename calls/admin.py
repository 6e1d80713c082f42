from django import forms
from django.contrib import admin

from core.admin import ServiceAdmin, form_errors_from
from core.errors import ServiceError
from events.models import Channel
from events.services import Actor

from .models import CallLog
from .rules import EDITABLE_FIELDS, CallOutcome, clean_call_fields, form_outcome
from .services import call_delete, call_log, call_update


class CallLogAdminForm(forms.ModelForm):
    """Checks with the call rules (calls.rules) so errors show next to the fields; the admin
    then saves through the call services."""

    recording_url = forms.URLField(assume_scheme="https", required=False, max_length=2000)
    # As on the pages' call forms: no outcome preselected; "Auto" follows the duration and type.
    outcome = forms.ChoiceField(
        choices=[("", "Auto (from the duration and type)"), *CallOutcome.choices],
        required=False,
        help_text="Auto: a 0-second inbound call is Missed, a 0-second outbound call No Answer, "
        "a longer one Completed.",
    )

    class Meta:
        model = CallLog
        fields = ["lead", *EDITABLE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            if not cleaned.get("outcome"):
                cleaned["outcome"] = form_outcome(cleaned["duration_seconds"], cleaned["call_type"])
            try:
                cleaned.update(clean_call_fields({k: cleaned.get(k) for k in EDITABLE_FIELDS}))
            except ServiceError as error:
                form_errors_from(self, error)
        return cleaned


@admin.register(CallLog)
class CallLogAdmin(ServiceAdmin):
    form = CallLogAdminForm
    list_display = ["called_at", "lead", "call_type", "duration_seconds", "outcome"]
    list_filter = ["call_type", "outcome", "called_at"]
    search_fields = ["lead__name", "lead__phone", "notes"]
    list_select_related = ["lead"]
    raw_id_fields = ["lead"]
    date_hierarchy = "called_at"
    readonly_fields = ["id", "created_at"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        # A call stays with its lead: moving it would rewrite two leads' histories.
        return [*self.readonly_fields, "lead"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        actor = Actor.for_request(request, Channel.ADMIN)
        fields = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS}
        if change:
            call_update(actor=actor, call=obj, fields=fields)
        else:
            obj.pk = call_log(actor=actor, lead_id=form.cleaned_data["lead"].pk, **fields).pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        call_delete(actor=Actor.for_request(request, Channel.ADMIN), call=obj)

    def delete_queryset(self, request, queryset):
        actor = Actor.for_request(request, Channel.ADMIN)
        for call in queryset:
            call_delete(actor=actor, call=call)
