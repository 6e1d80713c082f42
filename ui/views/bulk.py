"""The leads list's bulk actions, in two steps, each a POST → redirect → GET. The list's form
says which leads (ticked, the page, or every lead matching the filters: up to 5,000) and what
to do (POST /leads/bulk/); the choice, resolved to lead ids, is kept in the session and a
confirmation page states the count (GET /leads/bulk/<token>/). Only confirming it (POST to
that page) changes anything: leads.bulk does it, and the list then says how many leads were
done and how many skipped, and why."""

import logging
import secrets

from django.contrib import messages
from django.core.cache import cache
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from core.errors import ServiceError
from events.services import Actor
from leads.bulk import (
    MAX_LEADS,
    BulkResult,
    leads_bulk_add_tags,
    leads_bulk_delete,
    leads_bulk_remove_tag,
    leads_bulk_update,
)
from leads.models import Lead

from ..forms import UNASSIGNED, LeadFilterForm
from ..forms_bulk import Action, BulkActionForm, Scope, assignee_choices
from ..pagination import capped_count
from .common import actor_for, page

logger = logging.getLogger(__name__)

PENDING = "ui:bulk-pending"  # the session's one bulk action awaiting confirmation
PREVIEW = 10  # names shown on the confirmation page
CLAIM_SECONDS = 3600  # how long a confirmed token stays claimed (the session forgets it anyway)


def bulk_form(request, filters: LeadFilterForm, shown: list[Lead], count: int, capped: bool):
    """The leads list's bulk form, for the leads `shown` on this page and the `count` that
    match the filters. (An admin's assignees are the filter's: no second query.)"""
    emails = None
    if "assigned_to" in filters.fields:
        emails = [
            value
            for value, _ in filters.fields["assigned_to"].choices
            if value not in ("", UNASSIGNED)
        ]
    form = BulkActionForm(
        assignees=assignee_choices(request.user, emails),
        initial={"query": request.GET.urlencode(), "page_lead": [lead.pk for lead in shown]},
    )
    form.scope_labels(on_page=len(shown), matching=count, capped=capped)
    return form


@page
@require_POST
def lead_bulk(request):
    """Step one: what was chosen, resolved to lead ids, kept for the confirmation page."""
    query = _clean_query(request.POST.get("query", ""))
    back = _list_url(query)
    form = BulkActionForm(request.POST, assignees=assignee_choices(request.user))
    if not form.is_valid():
        messages.error(request, form.first_error())
        return redirect(back)
    try:
        ids = _chosen_ids(request, form, query)
        value = _value(form)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect(back)
    token = secrets.token_urlsafe(12)
    request.session[PENDING] = {
        "token": token,
        "action": form.cleaned_data["action"],
        "value": value,
        "label": form.value_label(),
        "ids": [lead_id.hex for lead_id in ids],
        "query": query,
    }
    return redirect("ui:lead_bulk_confirm", token=token)


def _claimed(token: str) -> bool:
    """Whether this request is the first to confirm `token`. With the cache (Redis) down it
    goes ahead: a second run changes nothing anyway (each lead is already as asked)."""
    try:
        return cache.add(f"ui:bulk-confirmed:{token}", 1, timeout=CLAIM_SECONDS)
    except Exception:  # (whatever the cache backend raises when unreachable)
        logger.warning("The cache is unreachable: a bulk confirmation goes ahead unclaimed")
        return True


@page
@require_http_methods(["GET", "POST"])
def lead_bulk_confirm(request, token: str):
    """Step two: "Assign 37 leads to …?" (GET); confirmed (POST), done."""
    pending = request.session.get(PENDING)
    if not pending or not secrets.compare_digest(pending["token"].encode(), token.encode()):
        messages.info(request, "This bulk action was done or replaced already: nothing changed.")
        return redirect("ui:lead_list")
    back = _list_url(pending["query"])
    if request.method == "POST":
        del request.session[PENDING]  # confirmed once: a second POST does nothing
        # (Two POSTs at the same moment, a double click, both read the session before either
        # saves it: the first to claim the token runs it.)
        if not _claimed(token):
            messages.info(
                request, "This bulk action was done or replaced already: nothing changed."
            )
            return redirect(back)
        try:
            result = _run(actor_for(request), pending)
        except ServiceError as error:
            messages.error(request, f"Nothing changed: {error.message}")
        else:
            _report(request, pending, result)
        return redirect(back)
    visible = Lead.objects.visible_to(request.user).filter(pk__in=pending["ids"])
    count = visible.count()
    if not count:
        del request.session[PENDING]
        messages.error(request, "None of the chosen leads exists any more (or is visible to you).")
        return redirect(back)
    names = list(visible.order_by("name", "id").values_list("name", flat=True)[:PREVIEW])
    context = {
        "question": _question(pending["action"], count, pending["label"]),
        "button": _button(pending["action"], count),
        "names": names,
        "more": count - len(names),
        "missing": len(pending["ids"]) - count,
        "delete": pending["action"] == Action.DELETE,
        "back": back,
    }
    return render(request, "ui/lead_bulk_confirm.html", context)


# --- Step one's parts -------------------------------------------------------------------------


def _clean_query(query: str) -> str:
    """The list's query string as a query string (nothing else comes back into a URL)."""
    return QueryDict(query).urlencode()


def _list_url(query: str) -> str:
    url = reverse("ui:lead_list")
    return f"{url}?{query}" if query else url


def _chosen_ids(request, form: BulkActionForm, query: str) -> list:
    scope = form.cleaned_data["scope"]
    if scope == Scope.SELECTED:
        ids = form.cleaned_data["lead"]
    elif scope == Scope.PAGE:
        ids = form.cleaned_data["page_lead"]
    else:
        ids = _matching_ids(request.user, query)
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_LEADS:
        raise ServiceError(f"A bulk action takes at most {MAX_LEADS:,} leads at a time.")
    return ids


def _matching_ids(user: User, query: str) -> list:
    """Every lead the list shows for `query` (its filters, as the list validates them)."""
    filters = LeadFilterForm(QueryDict(query), user=user, sources=[])
    if filters.errors:
        raise ServiceError("Fix the filters first: the list shows what is wrong with them.")
    leads = filters.apply(Lead.objects.visible_to(user)).order_by()
    ids = list(leads.values_list("pk", flat=True)[: MAX_LEADS + 1])
    if len(ids) > MAX_LEADS:
        count, capped = capped_count(leads)
        raise ServiceError(
            f"{count:,}{'+' if capped else ''} leads match these filters, and a bulk action "
            f"takes at most {MAX_LEADS:,} at a time. Narrow the filters, then try again."
        )
    if not ids:
        raise ServiceError("No leads match these filters.")
    return ids


def _value(form: BulkActionForm):
    """What the action sets, as the session keeps it (an assignee by id, None: nobody)."""
    action, data = form.cleaned_data["action"], form.cleaned_data
    if action == Action.ASSIGN:
        if data["assignee"] == UNASSIGNED:
            return None
        user = User.objects.filter(email=data["assignee"], is_active=True).first()
        if user is None:
            raise ServiceError("This person cannot be assigned leads (any more).")
        return user.pk
    if action in (Action.ADD_TAG, Action.REMOVE_TAG):
        return data["tag"]
    return data.get(action)  # the status, the stage id; nothing for a delete


# --- Step two's parts ---------------------------------------------------------------------------


def _run(actor: Actor, pending: dict) -> BulkResult:
    action, value, ids = pending["action"], pending["value"], pending["ids"]
    if action == Action.ASSIGN:
        assignee = None
        if value is not None:
            assignee = User.objects.filter(pk=value, is_active=True).first()
            if assignee is None:
                raise ServiceError("This person cannot be assigned leads any more.")
        return leads_bulk_update(actor=actor, lead_ids=ids, fields={"assigned_to": assignee})
    if action == Action.STATUS:
        return leads_bulk_update(actor=actor, lead_ids=ids, fields={"status": value})
    if action == Action.STAGE:
        return leads_bulk_update(actor=actor, lead_ids=ids, fields={"stage_id": value})
    if action == Action.ADD_TAG:
        return leads_bulk_add_tags(actor=actor, lead_ids=ids, tags=[value])
    if action == Action.REMOVE_TAG:
        return leads_bulk_remove_tag(actor=actor, lead_ids=ids, tag=value)
    return leads_bulk_delete(actor=actor, lead_ids=ids)


def _leads(count: int) -> str:
    return f"{count:,} lead{'s' if count != 1 else ''}"


def _question(action: str, count: int, label: str) -> str:
    leads = _leads(count)
    return {
        Action.ASSIGN: f"Unassign {leads}?"
        if label == "Unassigned"
        else f"Assign {leads} to {label}?",
        Action.STATUS: f"Change the status of {leads} to {label}?",
        Action.STAGE: f"Move {leads} to {label}?",
        Action.ADD_TAG: f"Add the tag “{label}” to {leads}?",
        Action.REMOVE_TAG: f"Remove the tag “{label}” from {leads}?",
        Action.DELETE: f"Delete {leads} permanently?",
    }[action]


def _button(action: str, count: int) -> str:
    verb = {
        Action.ASSIGN: "Assign",
        Action.STATUS: "Change status of",
        Action.STAGE: "Move",
        Action.ADD_TAG: "Tag",
        Action.REMOVE_TAG: "Untag",
        Action.DELETE: "Delete",
    }[action]
    return f"{verb} {_leads(count)}"


def _report(request, pending: dict, result: BulkResult) -> None:
    """One message: how many leads were done, were already so, and were skipped (why)."""
    action, label, done = pending["action"], pending["label"], result.done
    leads = _leads(done)
    if not done:
        parts = ["Nothing changed."]
    elif action == Action.ASSIGN:
        parts = [
            f"Unassigned {leads}." if label == "Unassigned" else f"Assigned {leads} to {label}."
        ]
    else:
        parts = [
            {
                Action.STATUS: f"Changed the status of {leads} to {label}.",
                Action.STAGE: f"Moved {leads} to {label}.",
                Action.ADD_TAG: f"Added the tag “{label}” to {leads}.",
                Action.REMOVE_TAG: f"Removed the tag “{label}” from {leads}.",
                Action.DELETE: f"Deleted {leads} permanently.",
            }[action]
        ]
    if result.unchanged:
        parts.append(f"{_leads(result.unchanged)} {_unchanged(action, result.unchanged)}.")
    if result.skipped:
        reasons = sorted(result.skipped.items(), key=lambda item: (-item[1], item[0]))
        summary = "; ".join(f"{reason.rstrip('.')} ({count:,})" for reason, count in reasons)
        parts.append(f"Skipped {_leads(result.skipped_count)}: {summary}.")
    text = " ".join(parts)
    if done and not result.skipped:
        messages.success(request, text)
    elif done:
        messages.warning(request, text)
    elif result.skipped:
        messages.error(request, text)
    else:
        messages.info(request, text)


def _unchanged(action: str, count: int) -> str:
    were = "was" if count == 1 else "were"
    had = {
        Action.ASSIGN: "already had this assignee",
        Action.STATUS: "already had this status",
        Action.STAGE: f"{were} already in this stage",
        Action.ADD_TAG: "already had the tag",
        Action.REMOVE_TAG: "did not have the tag",
    }
    return had.get(action, f"{were} left as they were")
