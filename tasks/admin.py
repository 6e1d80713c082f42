from django import forms
from django.contrib import admin

from core.admin import ServiceAdmin, form_errors_from
from core.errors import ServiceError
from events.models import Channel
from events.services import Actor

from .models import Task
from .rules import clean_task_fields
from .services import task_create, task_delete, task_update

FORM_FIELDS = ["title", "due_at", "notes", "assigned_to"]


class TaskAdminForm(forms.ModelForm):
    """Checks with the task rules (tasks.rules) so errors show next to the fields; the admin
    then saves through the task services."""

    done = forms.BooleanField(required=False)

    class Meta:
        model = Task
        fields = ["lead", *FORM_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].required = False
        self.fields["assigned_to"].help_text = "Empty: the lead's assignee, else you."
        if self.instance.pk:
            self.fields["done"].initial = self.instance.done_at is not None

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            fields = {name: cleaned.get(name) for name in FORM_FIELDS}
            if fields["assigned_to"] is None:
                del fields["assigned_to"]
            try:
                clean_task_fields(fields)
            except ServiceError as error:
                form_errors_from(self, error)
        return cleaned


@admin.register(Task)
class TaskAdmin(ServiceAdmin):
    form = TaskAdminForm
    list_display = ["title", "kind", "lead", "assigned_to", "due_at", "done_at"]
    list_filter = ["kind", "due_at", "done_at"]
    search_fields = ["title", "lead__name", "assigned_to__email"]
    list_select_related = ["lead", "assigned_to"]
    raw_id_fields = ["lead"]
    date_hierarchy = "due_at"
    readonly_fields = ["id", "kind", "done_at", "done_by", "created_at", "updated_at"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        # A task stays on its lead.
        return [*self.readonly_fields, "lead"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        actor = Actor.for_request(request, Channel.ADMIN)
        fields = {name: form.cleaned_data[name] for name in FORM_FIELDS}
        if fields["assigned_to"] is None:
            del fields["assigned_to"]
        if change:
            task = task_update(
                actor=actor, task=obj, fields={**fields, "done": form.cleaned_data["done"]}
            ).task
        else:
            task = task_create(actor=actor, lead_id=form.cleaned_data["lead"].pk, fields=fields)
            if form.cleaned_data["done"]:
                task = task_update(actor=actor, task=task, fields={"done": True}).task
        obj.pk = task.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        task_delete(actor=Actor.for_request(request, Channel.ADMIN), task=obj)

    def delete_queryset(self, request, queryset):
        actor = Actor.for_request(request, Channel.ADMIN)
        for task in queryset:
            task_delete(actor=actor, task=task)
