"""Tasks in the pages: add one on a lead's page, edit, complete or reopen, snooze, delete; and
log a call straight from Today or the calls list. Each action posts, then goes back where it
came from (`next`, a local URL) or to the lead's page."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from calls.services import call_log, call_record
from core.errors import ServiceError
from tasks.models import Task
from tasks.rules import snoozed_until
from tasks.services import task_create, task_delete, task_update

from ..forms import show_service_error
from ..forms_tasks import QuickCallForm, SnoozeForm, TaskForm
from ..templatetags.crm_ui import duration
from .common import actor_for, page, visible_lead
from .lead_detail import render_lead


def safe_next(request) -> str:
    """The `next` the request names, if it is a URL of this site ("" otherwise)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def _next_or(request, fallback: str):
    return redirect(safe_next(request) or fallback)


def quick_call_choices() -> dict:
    """What the plain "Log a call" forms (ui/_quick_call.html) offer: QuickCallForm's choices."""
    fields = QuickCallForm.base_fields
    return {
        "action": reverse("ui:call_log_quick"),
        "call_types": fields["call_type"].choices,
        "outcomes": fields["outcome"].choices,
    }


def _lead_page(lead_id, anchor: str = "#tasks") -> str:
    return reverse("ui:lead_detail", kwargs={"lead_id": lead_id}) + anchor


def _visible_task(request, task_id) -> Task:
    try:
        task_id = uuid.UUID(str(task_id))
    except ValueError:
        raise Http404("No such task.") from None
    tasks = Task.objects.visible_to(request.user).select_related("lead", "assigned_to", "done_by")
    return get_object_or_404(tasks, pk=task_id)


@page
@require_POST
def lead_task_add(request, lead_id):
    """The lead page's "Add a task" form."""
    lead = visible_lead(request, lead_id)
    form = TaskForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            task_create(actor=actor_for(request), lead_id=lead.pk, fields=form.service_fields())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Task added.")
            return redirect(_lead_page(lead.pk))
    return render_lead(request, lead, status=400, task_form=form)


@page
def task_edit(request, task_id):
    task = _visible_task(request, task_id)
    if request.method == "POST":
        form = TaskForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                task_update(actor=actor_for(request), task=task, fields=form.service_fields())
            except ServiceError as error:
                show_service_error(form, error)
            else:
                messages.success(request, "Task saved.")
                return _next_or(request, _lead_page(task.lead_id))
    else:
        form = TaskForm(
            user=request.user,
            initial={
                "title": task.title,
                "due_at": timezone.localtime(task.due_at),
                "notes": task.notes,
                "assigned_to": task.assigned_to,
            },
        )
    status = 400 if form.is_bound else 200
    context = {"task": task, "form": form, "next": safe_next(request)}
    return render(request, "ui/task_form.html", context, status=status)


@page
@require_POST
def task_done(request, task_id):
    """Done (or, with done=0, open again) in one click."""
    task = _visible_task(request, task_id)
    done = request.POST.get("done", "1") != "0"
    try:
        task_update(actor=actor_for(request), task=task, fields={"done": done})
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{task.title}” {'done' if done else 'open again'}.")
    return _next_or(request, _lead_page(task.lead_id))


@page
@require_POST
def task_snooze(request, task_id):
    task = _visible_task(request, task_id)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how long to snooze the task.")
        return _next_or(request, _lead_page(task.lead_id))
    until = snoozed_until(form.cleaned_data["until"], timezone.now())
    try:
        task_update(actor=actor_for(request), task=task, fields={"due_at": until})
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        when = timezone.localtime(until).strftime("%-d %b, %H:%M")
        messages.success(request, f"“{task.title}” snoozed until {when}.")
    return _next_or(request, _lead_page(task.lead_id))


@page
@require_POST
def task_delete_view(request, task_id):
    task = _visible_task(request, task_id)
    try:
        task_delete(actor=actor_for(request), task=task)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Task “{task.title}” deleted.")
    return redirect(_lead_page(task.lead_id))


@page
@require_POST
def call_log_quick(request):
    """Log a call from Today (a lead's row: `lead_id`) or from the calls list (`phone`), and
    come back to that page. A form with errors comes back as a page of its own, with them."""
    form = QuickCallForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        fields = form.service_kwargs()
        try:
            if data.get("lead_id"):
                call = call_log(actor=actor_for(request), lead_id=data["lead_id"], **fields)
            else:
                call = call_record(
                    actor=actor_for(request), phone=data["phone"].strip(), fields=fields
                ).call
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(
                request,
                f"Call logged for {call.lead.name}: {call.call_type.lower()}, "
                f"{duration(call.duration_seconds)}, {call.outcome}.",
            )
            return _next_or(request, reverse("ui:call_list"))
    context = {"form": form, "next": safe_next(request)}
    return render(request, "ui/call_log_quick.html", context, status=400)
