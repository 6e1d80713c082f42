"""Saved views of the leads list: save the current filters and sort under a name (from the
list's "Saved views" menu), apply one (its link), and rename, share (admins) or delete them on
/leads/views/. The writes are ui.services'."""

from django import forms
from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import ServiceError

from ..models import MAX_VIEW_NAME, SavedView
from ..services import (
    applicable_query,
    saved_view_create,
    saved_view_delete,
    saved_view_rename,
    saved_view_share,
    saved_view_visible,
    saved_views_for,
    view_query,
)
from .common import page


class ViewNameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=MAX_VIEW_NAME)


def menu_context(request) -> dict:
    """What the leads list's "Saved views" menu shows: the user's views and the shared ones,
    and the current filters in a view's spelling (to mark the view being shown)."""
    current = view_query(request.GET)
    views = saved_views_for(request.user)
    shown = next((view for view in views if view.query == current), None)
    return {"saved_views": views, "current_query": current, "current_view": shown}


def _list_url(query: str) -> str:
    url = reverse("ui:lead_list")
    return f"{url}?{query}" if query else url


@page
@require_POST
def saved_view_save(request):
    query = QueryDict(request.POST.get("query", ""))
    back = _list_url(view_query(query))
    form = ViewNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not saved: {form.errors['name'][0]}")
        return redirect(back)
    try:
        view = saved_view_create(
            owner=request.user,
            name=form.cleaned_data["name"],
            query=query,
            shared=request.POST.get("shared") == "1",
        )
    except ServiceError as error:
        messages.error(request, f"Not saved: {error.message}")
        return redirect(back)
    shared = " and shared it with everyone" if view.shared else ""
    messages.success(request, f"Saved the view “{view.name}”{shared}.")
    return redirect(back)


@page
def saved_view_open(request, view_id: int):
    """Apply a view: the list with its filters and sort, as the list's filter form accepts
    them for this user now."""
    view = _visible(request, view_id)
    query, refused = applicable_query(view, request.user)
    if refused:
        messages.warning(
            request,
            f"Part of the view “{view.name}” no longer applies and was left out: "
            + "; ".join(refused),
        )
    return redirect(_list_url(query))


@page
def saved_view_list(request):
    views = saved_views_for(request.user)
    for view in views:
        view.description = _describe(view.query)
    return render(request, "ui/saved_views.html", {"views": views})


PARAM_NAMES = {
    "q": "search",
    "assigned_to": "assigned to",
    "from_date": "created from",
    "to_date": "created to",
    "per_page": "per page",
}


def _describe(query: str) -> str:
    """A view's query string as people read it: "status: Won · sort: name"."""
    data = QueryDict(query)
    parts = [f"{PARAM_NAMES.get(name, name)}: {', '.join(data.getlist(name))}" for name in data]
    return " · ".join(parts) or "No filters: every lead, newest first"


@page
@require_POST
def saved_view_rename_view(request, view_id: int):
    view = _visible(request, view_id)
    form = ViewNameForm(request.POST)
    old = view.name
    try:
        if not form.is_valid():
            raise ServiceError(form.errors["name"][0], "name")
        saved_view_rename(user=request.user, view=view, name=form.cleaned_data["name"])
    except ServiceError as error:
        messages.error(request, f"Not renamed: {error.message}")
    else:
        messages.success(request, f"Renamed “{old}” to “{view.name}”.")
    return redirect("ui:saved_view_list")


@page
@require_POST
def saved_view_share_view(request, view_id: int):
    view = _visible(request, view_id)
    shared = request.POST.get("shared") == "1"
    try:
        saved_view_share(user=request.user, view=view, shared=shared)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        state = "now shared with everyone" if shared else "no longer shared"
        messages.success(request, f"The view “{view.name}” is {state}.")
    return redirect("ui:saved_view_list")


@page
@require_POST
def saved_view_delete_view(request, view_id: int):
    view = _visible(request, view_id)
    try:
        saved_view_delete(user=request.user, view=view)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("ui:saved_view_list")


def _visible(request, view_id: int) -> SavedView:
    try:
        return saved_view_visible(request.user, view_id)
    except ServiceError:
        raise Http404("No such saved view.") from None
