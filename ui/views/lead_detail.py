"""A lead's page: its fields, its timeline, and the quick actions (log a call, add a note,
move to another stage). Each quick action posts to its own URL and comes back to the page."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from calls.services import call_log
from core.errors import ServiceError
from leads.models import Lead
from leads.services import lead_add_note, lead_move, lead_update
from pipelines.models import Stage
from tasks.models import Task
from tasks.rules import Snooze, snoozed_until

from ..forms import CallLogForm, NoteForm, StatusForm, show_service_error
from ..forms_tasks import TaskForm
from ..templatetags.crm_ui import duration
from ..timeline import lead_timeline
from .common import actor_for, page, visible_lead

TIMELINE_LENGTH = 100
DONE_SHOWN = 5  # the lead's latest done tasks under its open ones


def _tomorrow_morning():
    return timezone.localtime(snoozed_until(Snooze.TOMORROW, timezone.now())).replace(tzinfo=None)


@page
def lead_detail(request, lead_id):
    return render_lead(request, visible_lead(request, lead_id))


def render_lead(request, lead: Lead, *, status: int = 200, **bound_forms):
    everything = request.GET.get("timeline") == "all"
    status_form = bound_forms.get("status_form") or StatusForm(
        stages=_stages_of(lead), initial={"stage": lead.stage_id}
    )
    timeline, more = lead_timeline(lead, None if everything else TIMELINE_LENGTH)
    tasks = Task.objects.filter(lead=lead).select_related("assigned_to", "done_by")
    context = {
        "open_tasks": list(tasks.open()),
        "done_tasks": list(tasks.filter(done_at__isnull=False).order_by("-done_at")[:DONE_SHOWN]),
        "task_form": bound_forms.get("task_form")
        or TaskForm(user=request.user, initial={"due_at": _tomorrow_morning()}),
        "lead": lead,
        "timeline": timeline,
        "timeline_truncated": more,
        "call_count": lead.calls.count(),
        "call_form": bound_forms.get("call_form") or CallLogForm(),
        "note_form": bound_forms.get("note_form") or NoteForm(),
        "status_form": status_form,
    }
    return render(request, "ui/lead_detail.html", context, status=status)


def _stages_of(lead: Lead) -> list[Stage]:
    """The stages the lead may move to: its pipeline's active ones, in order."""
    return list(Stage.objects.active().filter(pipeline_id=lead.stage.pipeline_id))


def _back_to(lead: Lead, anchor: str = ""):
    return redirect(reverse("ui:lead_detail", kwargs={"lead_id": lead.pk}) + anchor)


@page
@require_POST
def lead_log_call(request, lead_id):
    lead = visible_lead(request, lead_id)
    form = CallLogForm(request.POST)
    if form.is_valid():
        try:
            call = call_log(actor=actor_for(request), lead_id=lead.pk, **form.service_kwargs())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(
                request,
                f"Call logged: {call.call_type.lower()}, {duration(call.duration_seconds)}, "
                f"{call.outcome}.",
            )
            return _back_to(lead, "#timeline")
    return render_lead(request, lead, status=400, call_form=form)


@page
@require_POST
def lead_note(request, lead_id):
    lead = visible_lead(request, lead_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            lead_add_note(actor=actor_for(request), lead=lead, text=form.cleaned_data["text"])
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Note added.")
            return _back_to(lead, "#timeline")
    return render_lead(request, lead, status=400, note_form=form)


@page
@require_POST
def lead_status(request, lead_id):
    lead = visible_lead(request, lead_id)
    form = StatusForm(request.POST, stages=_stages_of(lead))
    if form.is_valid():
        stage_id, status = form.cleaned_data["stage"], form.cleaned_data["status"]
        try:
            if stage_id:  # within the lead's pipeline (another pipeline is the lead's edit)
                change = lead_move(
                    actor=actor_for(request),
                    lead=lead,
                    stage_id=stage_id,
                    pipeline_id=lead.stage.pipeline_id,
                )
            else:
                change = lead_update(actor=actor_for(request), lead=lead, fields={"status": status})
        except ServiceError as error:
            show_service_error(form, error)
        else:
            moved = change.lead
            if not change.changes and stage_id:
                messages.info(request, f"The lead already was in {moved.stage.name}.")
            elif not change.changes:
                messages.info(request, f"The status already was {moved.status}.")
            elif stage_id and moved.stage.name != moved.status:
                messages.success(request, f"Moved to {moved.stage.name} ({moved.status}).")
            else:
                messages.success(request, f"Status changed to {moved.status}.")
            return _back_to(lead)
    return render_lead(request, lead, status=400, status_form=form)
