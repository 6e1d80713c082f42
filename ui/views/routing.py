"""Settings → Routing (admins only): the assignment rules in the order they are tried; create,
edit, reorder and delete them, choosing their reps. Every write goes through routing.services
(one event each), POST → redirect → GET with a message; a refusal is shown next to the field it
names (400) or, for the one-click actions, as a message. A sales rep gets 403 on every page
here, as from the services."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ServiceError
from routing.models import AssignmentRule
from routing.rules import source_label
from routing.selectors import rules_in_order
from routing.services import (
    assignment_rule_create,
    assignment_rule_delete,
    assignment_rule_move,
    assignment_rule_update,
)

from ..forms import show_service_error
from ..forms_routing import AssignmentRuleForm
from .common import actor_for, lead_sources, page

MOVES = {"up": -1, "down": 1}


def admin_page(view):
    """A settings page only admins may use: login required, then 403 for a sales rep."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied("Only admins change assignment rules.")
        return view(request, *args, **kwargs)

    return page(checked)


@admin_page
def routing_list(request):
    rules = list(rules_in_order())
    for rule in rules:
        rule.source_shown = source_label(rule.source)
        rule.routes = rule.active and any(member.user.is_active for member in rule.members.all())
    return render(request, "routing/list.html", {"rules": rules})


def _form_page(request, form, rule, status=200):
    context = {"form": form, "rule": rule, "sources": lead_sources(request.user)}
    return render(request, "routing/form.html", context, status=status)


@admin_page
@require_http_methods(["GET", "POST"])
def routing_new(request):
    form = AssignmentRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = assignment_rule_create(
                actor=actor_for(request), fields=form.service_fields(), reps=form.service_reps()
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Created the rule “{rule.name}”.")
            return redirect("routing:list")
    return _form_page(request, form, None, status=400 if form.errors else 200)


@admin_page
@require_http_methods(["GET", "POST"])
def routing_edit(request, rule_id):
    rule = get_object_or_404(AssignmentRule, pk=rule_id)
    form = AssignmentRuleForm(request.POST or None, rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            rule = assignment_rule_update(
                actor=actor_for(request),
                rule=rule,
                fields=form.service_fields(),
                reps=form.service_reps(),
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved the rule “{rule.name}”.")
            return redirect("routing:list")
    return _form_page(request, form, rule, status=400 if form.errors else 200)


@admin_page
@require_POST
def routing_move(request, rule_id):
    """The list's Move up / Move down buttons: one place among the rules."""
    rule = get_object_or_404(AssignmentRule, pk=rule_id)
    offset = MOVES.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, "Move a rule up or down.")
        return redirect("routing:list")
    try:
        assignment_rule_move(actor=actor_for(request), rule=rule, offset=offset)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Moved “{rule.name}” {request.POST['direction']}.")
    return redirect(f"{reverse('routing:list')}#rule-{rule.pk}")


@admin_page
@require_http_methods(["GET", "POST"])
def routing_delete(request, rule_id):
    rule = get_object_or_404(AssignmentRule, pk=rule_id)
    if request.method == "POST":
        try:
            assignment_rule_delete(actor=actor_for(request), rule=rule)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Deleted the rule “{rule.name}”.")
        return redirect("routing:list")
    return render(request, "routing/confirm.html", {"rule": rule})
