"""Settings → Pipelines (admins only): create, rename and choose the default pipeline; add,
edit, reorder and archive its stages; archive a pipeline. Every write goes through
pipelines.services (one event each), POST → redirect → GET with a message; a refusal is shown
next to the field it names (400) or, for the one-click actions, as a message.

Archived pipelines and stages are left out of the main list; they are listed read-only in a
collapsed "Archived" section. A sales rep gets 403 on every page here, as from the services."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ServiceError
from leads.selectors import stage_totals_counted
from pipelines.models import Pipeline, Stage
from pipelines.selectors import active_pipelines
from pipelines.services import (
    pipeline_archive,
    pipeline_create,
    pipeline_update,
    stage_archive,
    stage_create,
    stage_move,
    stage_update,
)

from ..forms import show_service_error
from ..forms_pipelines import PipelineForm, StageForm, stage_rows
from .common import actor_for, page

MOVES = {"up": -1, "down": 1}


def admin_page(view):
    """A settings page only admins may use: login required, then 403 for a sales rep."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied("Only admins change pipelines.")
        return view(request, *args, **kwargs)

    return page(checked)


def _active_pipeline(pipeline_id) -> Pipeline:
    return get_object_or_404(Pipeline.objects.active(), pk=pipeline_id)


def _active_stage(stage_id) -> Stage:
    """A stage that may change: not archived, in a pipeline that is not archived."""
    stages = Stage.objects.active().filter(pipeline__archived_at__isnull=True)
    return get_object_or_404(stages.select_related("pipeline"), pk=stage_id)


def _lead_count(stage: Stage) -> int:
    return stage_totals_counted([stage.pk])[stage.pk].count


@admin_page
def pipeline_list(request):
    archived_stages = Stage.objects.filter(archived_at__isnull=False).order_by("position", "id")
    pipelines = list(
        active_pipelines().prefetch_related(
            Prefetch("stages", queryset=archived_stages, to_attr="archived_stages")
        )
    )
    stage_ids = [stage.pk for pipeline in pipelines for stage in pipeline.stages.all()]
    totals = stage_totals_counted(stage_ids)
    for pipeline in pipelines:
        pipeline.rows = [(stage, totals[stage.pk].count) for stage in pipeline.stages.all()]
        # Each pipeline's own "Add a stage" form: the same field names, ids of its own.
        pipeline.add_stage_form = StageForm(auto_id=f"id_add_{pipeline.pk.hex}_%s")
    archived_pipelines = Pipeline.objects.filter(archived_at__isnull=False).order_by(
        "-archived_at", "name"
    )
    context = {
        "pipelines": pipelines,
        "archived_pipelines": list(archived_pipelines),
        "archived_stage_count": sum(len(p.archived_stages) for p in pipelines),
    }
    return render(request, "pipelines/list.html", context)


@admin_page
@require_http_methods(["GET", "POST"])
def pipeline_new(request):
    form = PipelineForm(request.POST or None)
    rows = stage_rows(request.POST or None)
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        try:
            pipeline = pipeline_create(
                actor=actor_for(request), fields=form.service_fields(), stages=rows.stages()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Created the pipeline “{pipeline.name}”.")
            return redirect("pipelines:list")
    invalid = bool(form.errors or rows.total_error_count())
    context = {"form": form, "rows": rows, "pipeline": None}
    return render(request, "pipelines/pipeline_form.html", context, status=400 if invalid else 200)


@admin_page
@require_http_methods(["GET", "POST"])
def pipeline_edit(request, pipeline_id):
    pipeline = _active_pipeline(pipeline_id)
    form = PipelineForm(request.POST or None, pipeline=pipeline)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = pipeline_update(
                actor=actor_for(request), pipeline=pipeline, fields=form.service_fields()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved the pipeline “{pipeline.name}”.")
            return redirect("pipelines:list")
    context = {"form": form, "pipeline": pipeline}
    status = 400 if form.errors else 200
    return render(request, "pipelines/pipeline_form.html", context, status=status)


@admin_page
@require_http_methods(["GET", "POST"])
def pipeline_archive_view(request, pipeline_id):
    pipeline = _active_pipeline(pipeline_id)
    if request.method == "POST":
        try:
            pipeline_archive(actor=actor_for(request), pipeline=pipeline)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Archived the pipeline “{pipeline.name}”.")
        return redirect("pipelines:list")
    stage_ids = list(pipeline.stages.values_list("pk", flat=True))
    lead_count = sum(total.count for total in stage_totals_counted(stage_ids).values())
    context = {
        "pipeline": pipeline,
        "lead_count": lead_count,
        "kind": "pipeline",
        # Said before asking, not offered when refused; the service has the last word.
        "can_archive": not lead_count and not pipeline.is_default,
    }
    return render(request, "pipelines/confirm.html", context)


@admin_page
@require_http_methods(["GET", "POST"])
def stage_new(request, pipeline_id):
    """Add a stage at the end of a pipeline. The list page posts here; a refusal re-renders the
    form on a page of its own, with the errors next to the fields."""
    pipeline = _active_pipeline(pipeline_id)
    form = StageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            stage = stage_create(
                actor=actor_for(request), pipeline=pipeline, fields=form.service_fields()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Added the stage “{stage.name}” to “{pipeline.name}”.")
            return redirect("pipelines:list")
    context = {"form": form, "pipeline": pipeline, "stage": None}
    status = 400 if form.errors else 200
    return render(request, "pipelines/stage_form.html", context, status=status)


@admin_page
@require_http_methods(["GET", "POST"])
def stage_edit(request, stage_id):
    stage = _active_stage(stage_id)
    lead_count = _lead_count(stage)
    form = StageForm(request.POST or None, stage=stage, lead_count=lead_count)
    if request.method == "POST" and form.is_valid():
        try:
            stage = stage_update(
                actor=actor_for(request), stage=stage, fields=form.service_fields()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved the stage “{stage.name}”.")
            return redirect("pipelines:list")
    context = {"form": form, "pipeline": stage.pipeline, "stage": stage, "lead_count": lead_count}
    status = 400 if form.errors else 200
    return render(request, "pipelines/stage_form.html", context, status=status)


@admin_page
@require_POST
def stage_move_view(request, stage_id):
    """The list's Move up / Move down buttons: one place among the pipeline's active stages."""
    stage = _active_stage(stage_id)
    offset = MOVES.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, "Move a stage up or down.")
        return redirect("pipelines:list")
    try:
        stage_move(actor=actor_for(request), stage=stage, offset=offset)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Moved “{stage.name}” {request.POST['direction']}.")
    # Back to the same pipeline on the list, for the next move.
    return redirect(f"{reverse('pipelines:list')}#pipeline-{stage.pipeline_id}")


@admin_page
@require_http_methods(["GET", "POST"])
def stage_archive_view(request, stage_id):
    stage = _active_stage(stage_id)
    if request.method == "POST":
        try:
            stage_archive(actor=actor_for(request), stage=stage)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"Archived the stage “{stage.name}” of “{stage.pipeline.name}”."
            )
        return redirect("pipelines:list")
    lead_count = _lead_count(stage)
    context = {
        "stage": stage,
        "pipeline": stage.pipeline,
        "lead_count": lead_count,
        "kind": "stage",
        "can_archive": not lead_count,
    }
    return render(request, "pipelines/confirm.html", context)
