"""The leads list, its CSV export, and the new / edit / delete pages."""

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.dates import ist_today
from core.errors import ServiceError
from leads.models import Lead
from leads.services import DuplicateLead, lead_create, lead_delete, lead_merge, lead_update

from ..export import leads_csv
from ..forms import LeadFilterForm, LeadForm, show_service_error
from ..pagination import SortKey, capped_count, paginate
from .bulk import bulk_form
from .common import COMMON_SOURCES, actor_for, lead_sources, page, visible_lead
from .saved_views import menu_context

NEWEST = (SortKey("created_at", descending=True), SortKey("id", descending=True))
# Every sort is served by an index: created_at and status by the API's list indexes, name by
# lead_name_key_idx (the name lowercased: "alice" sorts with "Alice", before "bob").
LEAD_SORTS = {
    "-created": NEWEST,
    "created": (SortKey("created_at"), SortKey("id")),
    "name": (SortKey("name_key"), SortKey("id")),
    "-name": (SortKey("name_key", descending=True), SortKey("id", descending=True)),
    "status": (SortKey("status"), *NEWEST),
    "-status": (SortKey("status", descending=True), *NEWEST),
}
# Column → the sort its header link turns on first (newest first for dates).
SORTABLE_COLUMNS = {"name": "name", "status": "status", "created": "-created"}


@page
def lead_list(request):
    visible = Lead.objects.visible_to(request.user)
    form = LeadFilterForm(request.GET, user=request.user, sources=lead_sources(request.user))
    leads = form.apply(visible)
    result = paginate(
        leads.select_related("assigned_to", "stage"),
        LEAD_SORTS[form.sort_value],
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        size=form.page_size,
    )
    count, capped = capped_count(leads)
    context = {
        "form": form,
        "page": result,
        "count": count,
        "capped": capped,
        "headers": _sort_headers(form.sort_value),
        "bulk_form": bulk_form(request, form, result.items, count, capped),
        **menu_context(request),
    }
    return render(request, "ui/lead_list.html", context)


def _sort_headers(current: str) -> dict[str, dict]:
    """For each sortable column: the sort its header link asks for, and its aria-sort state."""
    headers = {}
    for column, first in SORTABLE_COLUMNS.items():
        state = None
        target = first
        if current.lstrip("-") == first.lstrip("-"):
            state = "descending" if current.startswith("-") else "ascending"
            target = current[1:] if current.startswith("-") else f"-{current}"
        headers[column] = {"sort": target, "state": state}
    return headers


@page
def lead_export(request):
    """The current filter and sort as CSV, streamed row by row (any size, constant memory)."""
    form = LeadFilterForm(request.GET, user=request.user, sources=[])
    if form.errors:
        return redirect(f"{reverse('ui:lead_list')}?{request.GET.urlencode()}")
    leads = form.apply(Lead.objects.visible_to(request.user)).select_related("assigned_to", "stage")
    rows = leads.order_by(*(key.order_by() for key in LEAD_SORTS[form.sort_value]))
    response = StreamingHttpResponse(
        leads_csv(rows.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="leads-{ist_today():%Y-%m-%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@page
@require_http_methods(["GET", "POST"])
def lead_new(request):
    """A new lead. When its phone or email belongs to an existing lead, nothing is saved: the
    page shows that lead, and the rep either opens it or explicitly merges what they typed
    into it (a second POST with `merge_into` naming it)."""
    form = LeadForm(request.POST or None, user=request.user)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            if merge_into := request.POST.get("merge_into"):
                return _merge_into(request, form, merge_into)
            lead = lead_create(actor=actor_for(request), fields=form.all_fields())
        except DuplicateLead as error:
            duplicate = error.lead
            show_service_error(form, error)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Created lead “{lead.name}”.")
            return redirect("ui:lead_detail", lead_id=lead.pk)
    return _form_page(request, form, lead=None, duplicate=duplicate)


def _merge_into(request, form: LeadForm, lead_id: str):
    """The rep chose to merge what they typed into the lead the page showed them."""
    lead = visible_lead(request, lead_id)
    lead = lead_merge(actor=actor_for(request), lead=lead, fields=form.merge_fields())
    messages.success(request, f"Merged your details into “{lead.name}”.")
    return redirect("ui:lead_detail", lead_id=lead.pk)


@page
@require_http_methods(["GET", "POST"])
def lead_edit(request, lead_id):
    lead = visible_lead(request, lead_id)
    form = LeadForm(request.POST or None, user=request.user, lead=lead)
    if request.method == "POST" and form.is_valid():
        try:
            edit = lead_update(actor=actor_for(request), lead=lead, fields=form.all_fields())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            if edit.changes:
                messages.success(request, f"Saved changes to “{form.cleaned_data['name']}”.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("ui:lead_detail", lead_id=lead.pk)
    return _form_page(request, form, lead=lead)


def _form_page(request, form: LeadForm, *, lead: Lead | None, duplicate: Lead | None = None):
    sources = sorted({*COMMON_SOURCES, *lead_sources(request.user)})
    return render(
        request,
        "ui/lead_form.html",
        {"form": form, "lead": lead, "sources": sources, "duplicate": duplicate},
        status=400 if form.errors else 200,
    )


@page
@require_http_methods(["GET", "POST"])
def lead_delete_view(request, lead_id):
    lead = visible_lead(request, lead_id)
    if request.method == "POST":
        name = lead.name
        lead_delete(actor=actor_for(request), lead=lead)
        messages.success(request, f"Deleted lead “{name}” permanently.")
        return redirect("ui:lead_list")
    return render(request, "ui/lead_delete.html", {"lead": lead, "call_count": lead.calls.count()})
