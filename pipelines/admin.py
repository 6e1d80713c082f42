"""Pipelines and stages in the Django admin. Saves go through pipelines.services (the same rules
and one event each, as on Settings → Pipelines); nothing is deleted: the "Archive selected"
actions archive through the services, and a refusal (a stage holding leads, the default
pipeline) is reported as a message. Archived rows are read-only.

A pipeline added here starts with the default pipeline's six stages (New … Lost), so that every
status has a stage from the first moment; its stages are then renamed, added (Stage → Add) or
archived one by one, and reordered on Settings → Pipelines."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin import ServiceAdmin, form_errors_from
from core.errors import ServiceError
from events.models import Channel
from events.services import Actor

from .models import Pipeline, Stage
from .rules import DEFAULT_STAGES, STAGE_FIELDS, clean_pipeline_fields, clean_stage_fields
from .services import (
    pipeline_archive,
    pipeline_create,
    pipeline_update,
    stage_archive,
    stage_create,
    stage_update,
)


def _actor(request) -> Actor:
    return Actor.for_request(request, Channel.ADMIN)


def _report(modeladmin, request, done: list[str], refused: list[str], what: str) -> None:
    if done:
        modeladmin.message_user(request, f"Archived {what}: {', '.join(done)}.", messages.SUCCESS)
    for refusal in refused:
        modeladmin.message_user(request, refusal, messages.ERROR)


class PipelineAdminForm(forms.ModelForm):
    """Checked with the pipeline rules before saving, so refusals show next to the field.
    "Make default" is a form field of its own, not the model's is_default: the model's
    one-default constraint would refuse every new default before the service unsets the old."""

    make_default = forms.BooleanField(
        label="Default pipeline",
        required=False,
        help_text="New leads that name no pipeline go to the default pipeline. To change it, "
        "make another pipeline the default.",
    )

    class Meta:
        model = Pipeline
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.is_default:
            self.fields["make_default"].initial = True
            self.fields["make_default"].disabled = True

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned.update(clean_pipeline_fields({"name": cleaned.get("name")}))
        except ServiceError as error:
            form_errors_from(self, error)
            return cleaned
        others = Pipeline.objects.active().exclude(pk=self.instance.pk)
        if others.filter(name__iexact=cleaned["name"]).exists():
            self.add_error("name", "Another pipeline has this name.")
        return cleaned


@admin.register(Pipeline)
class PipelineAdmin(ServiceAdmin):
    form = PipelineAdminForm
    list_display = ["name", "is_default", "stage_count", "archived_at", "created_at"]
    list_filter = ["is_default", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "=id"]
    readonly_fields = ["stage_list", "id", "archived_at", "created_at", "updated_at"]
    actions = ["archive_selected"]

    def get_queryset(self, request):
        active = Count("stages", filter=Q(stages__archived_at__isnull=True))
        return super().get_queryset(request).annotate(active_stages=active)

    @admin.display(description="Stages", ordering="active_stages")
    def stage_count(self, pipeline: Pipeline) -> int:
        return pipeline.active_stages

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "make_default"]
        if obj.is_archived:
            return ["name", *self.readonly_fields]
        return ["name", "make_default", *self.readonly_fields]

    @admin.display(description="Stages")
    def stage_list(self, pipeline: Pipeline) -> str:
        """Its stages in order, each opening in Stage (read here, not an inline: reordering is
        Settings → Pipelines', and a read-only list has no formset for a save to trip on)."""
        stages = pipeline.stages.order_by(F("archived_at").asc(nulls_first=True), "position")
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}%</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:pipelines_stage_change", args=[stage.pk]),
                    stage.name,
                    stage.get_status_display(),
                    stage.probability,
                    "Archived" if stage.is_archived else "",
                )
                for stage in stages
            ),
        )
        # A table, not a list: each link alone in its cell (axe: link-in-text-block).
        return format_html(
            '<table><thead><tr><th scope="col">Stage</th><th scope="col">Status</th>'
            '<th scope="col">Win probability</th><th scope="col">Archived</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            rows,
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.base_fields["name"].help_text = (
                "It starts with the stages New, Contacted, Qualified, Proposal, Won and Lost; "
                "rename, add or archive them afterwards."
            )
        return form

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_archived:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # archived instead, once it holds no leads

    def save_model(self, request, obj, form, change):
        fields = {"name": form.cleaned_data["name"]}
        if form.cleaned_data.get("make_default"):
            fields["is_default"] = True
        if change:
            pipeline_update(actor=_actor(request), pipeline=obj, fields=fields)
        else:
            stages = [
                {"name": status.label, "status": status.value, "probability": chance}
                for status, chance in DEFAULT_STAGES
            ]
            obj.pk = pipeline_create(actor=_actor(request), fields=fields, stages=stages).pk
        obj.refresh_from_db()

    @admin.action(description="Archive selected pipelines", permissions=["change"])
    def archive_selected(self, request, queryset):
        done, refused = [], []
        actor = _actor(request)
        for pipeline in queryset.filter(archived_at__isnull=True):
            try:
                pipeline_archive(actor=actor, pipeline=pipeline)
            except ServiceError as error:
                refused.append(f"“{pipeline.name}” was not archived: {error.message}")
            else:
                done.append(f"“{pipeline.name}”")
        _report(self, request, done, refused, "the pipelines" if len(done) > 1 else "the pipeline")


class StageAdminForm(forms.ModelForm):
    """Checked with the stage rules before saving, so refusals show next to their field; the
    status of a stage holding leads stays (its leads report it: move them first)."""

    class Meta:
        model = Stage
        fields = ["pipeline", *STAGE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        shown = {name: cleaned.get(name) for name in STAGE_FIELDS if name in self.fields}
        try:
            cleaned.update(clean_stage_fields(shown))
        except ServiceError as error:
            form_errors_from(self, error)
            return cleaned
        stage = self.instance
        pipeline = cleaned.get("pipeline") if stage._state.adding else stage.pipeline
        same_name = Stage.objects.active().filter(pipeline=pipeline, name__iexact=cleaned["name"])
        if same_name.exclude(pk=stage.pk).exists():
            self.add_error("name", "This pipeline already has a stage with this name.")
        if not stage._state.adding and "status" in self.changed_data and stage.leads.exists():
            self.add_error(
                "status", "This stage holds leads: move them before changing its status."
            )
        return cleaned


@admin.register(Stage)
class StageAdmin(ServiceAdmin):
    form = StageAdminForm
    list_display = ["name", "pipeline", "position", "status", "probability", "rotting_days",
                    "lead_count", "archived_at"]  # fmt: skip
    list_filter = ["pipeline", "status", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "pipeline__name", "=id"]
    list_select_related = ["pipeline"]
    ordering = ["pipeline__name", "position", "name"]
    readonly_fields = ["id", "position", "lead_count", "archived_at", "created_at", "updated_at"]
    actions = ["archive_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lead_total=Count("leads"))

    @admin.display(description="Leads", ordering="lead_total")
    def lead_count(self, stage: Stage) -> int:
        return stage.lead_total

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["pipeline", *STAGE_FIELDS]
        return ["pipeline", *STAGE_FIELDS, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A stage stays in its pipeline; its place is changed on Settings → Pipelines.
        return ["pipeline", *self.readonly_fields]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "pipeline":
            kwargs["queryset"] = Pipeline.objects.active()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and (obj.is_archived or obj.pipeline.is_archived):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # archived instead, once its leads are moved

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in STAGE_FIELDS}
        if change:
            stage_update(actor=_actor(request), stage=obj, fields=fields)
        else:
            pipeline = form.cleaned_data["pipeline"]
            obj.pk = stage_create(actor=_actor(request), pipeline=pipeline, fields=fields).pk
        obj.refresh_from_db()

    @admin.action(description="Archive selected stages", permissions=["change"])
    def archive_selected(self, request, queryset):
        done, refused = [], []
        actor = _actor(request)
        for stage in queryset.filter(archived_at__isnull=True).select_related("pipeline"):
            label = f"“{stage.name}” ({stage.pipeline.name})"
            try:
                stage_archive(actor=actor, stage=stage)
            except ServiceError as error:
                refused.append(f"{label} was not archived: {error.message}")
            else:
                done.append(label)
        _report(self, request, done, refused, "the stages" if len(done) > 1 else "the stage")
