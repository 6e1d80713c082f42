"""The pages' own writes: saved views of the leads list (ui.models.SavedView), as small
functions the views call (the domain's services are the model). A view's query string holds
the list's filters, sort and page size, validated through the list's own filter form when it
is saved and again when it is applied: a view saved long ago may name what no longer exists,
and a shared view is applied by people who see other leads than its owner."""

from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import QueryDict

from accounts.models import User
from core.errors import Conflict, Forbidden, NotFound, ServiceError

from .forms import LeadFilterForm
from .models import MAX_VIEW_NAME, SavedView

MAX_VIEWS_PER_USER = 100
# What a view keeps of the list's query string, in this order: its filters, sort and page size
# (not the page it was on: `after` / `before`).
SAVED_PARAMS = (*LeadFilterForm.filter_names, "sort", "per_page")
# What a list shows when not told: left out of a view, as an empty filter is.
DEFAULTS = {"per_page": str(LeadFilterForm.default_page_size), "sort": LeadFilterForm.default_sort}


def view_query(data: QueryDict) -> str:
    """The part of a list's query string a view keeps, in one spelling (so the list can tell
    which view it is showing): SAVED_PARAMS in order, empty ones and defaults left out."""
    # One value a parameter, the one the list reads (the last): every filter takes one.
    values = [(name, (data.get(name) or "").strip()) for name in SAVED_PARAMS]
    return urlencode(
        [(name, value) for name, value in values if value and value != DEFAULTS.get(name)]
    )


def applicable_query(view: SavedView, user: User) -> tuple[str, list[str]]:
    """The view's query string as `user` may apply it, validated through the list's filter
    form: a parameter the form refuses now (a date range turned invalid, a person no longer
    active) is left out, and named in the second item ("Assigned to: …")."""
    data = QueryDict(view.query)
    form = LeadFilterForm(data, user=user, sources=[])
    refused = [f"{_label(form, name)}: {errors[0]}" for name, errors in form.errors.items()]
    kept = QueryDict(mutable=True)
    for name in data:
        if name in form.fields and name not in form.errors:  # (a rep's form has no assignee)
            kept.setlist(name, data.getlist(name))
    return view_query(kept), refused


def saved_views_for(user: User) -> list[SavedView]:
    """The views in `user`'s menu: their own, then those shared with everyone, by name."""
    views = SavedView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")
    return sorted(views, key=lambda view: (view.owner_id != user.pk, view.name.casefold(), view.pk))


def saved_view_visible(user: User, view_id) -> SavedView:
    """A view `user` may apply (theirs or shared); any other does not exist."""
    view = SavedView.objects.filter(Q(owner=user) | Q(shared=True), pk=view_id).first()
    if view is None:
        raise NotFound("There is no such saved view.", "view")
    return view


def saved_view_create(
    *, owner: User, name: str, query: QueryDict, shared: bool = False
) -> SavedView:
    """Save the list's current filters and sort (`query`: the list's query string) as a view
    named `name` (1–80 characters, one per owner whatever its case); only an admin shares."""
    name = _clean_name(name)
    if shared and not owner.is_admin:
        raise Forbidden("Only admins can share a view with everyone.", "shared")
    form = LeadFilterForm(QueryDict(view_query(query)), user=owner, sources=[])
    if form.errors:
        field, errors = next(iter(form.errors.items()))
        raise ServiceError(f"Fix the filters first ({_label(form, field)}: {errors[0]})", "query")
    # Only what this user's list reads (a rep's has no assignee filter).
    kept = view_query(
        QueryDict(urlencode([(k, v) for k, v in form.data.items() if k in form.fields]))
    )
    if len(kept) > SavedView._meta.get_field("query").max_length:
        raise ServiceError("These filters are too long to save as a view.", "query")
    if SavedView.objects.filter(owner=owner).count() >= MAX_VIEWS_PER_USER:
        raise ServiceError(
            f"You have {MAX_VIEWS_PER_USER} saved views, the most one can have: delete one first.",
            "name",
        )
    return _saved(SavedView(owner=owner, name=name, query=kept, shared=shared))


def saved_view_rename(*, user: User, view: SavedView, name: str) -> SavedView:
    """Rename one of `user`'s own views."""
    _own(user, view)
    view.name = _clean_name(name)
    return _saved(view)


def saved_view_share(*, user: User, view: SavedView, shared: bool) -> SavedView:
    """Share one of an admin's own views with everyone, or stop sharing it."""
    _own(user, view)
    if not user.is_admin:
        raise Forbidden("Only admins can share a view with everyone.", "shared")
    if not SavedView.objects.filter(pk=view.pk).update(shared=shared):
        raise NotFound("There is no such saved view (any more).", "view")
    view.shared = shared
    return view


def saved_view_delete(*, user: User, view: SavedView) -> None:
    """Delete one of `user`'s own views, or (an admin) any shared view."""
    if view.owner_id != user.pk and not (user.is_admin and view.shared):
        if view.shared:
            raise Forbidden("Only its owner or an admin can delete a shared view.", "view")
        raise NotFound("There is no such saved view.", "view")
    view.delete()


def _label(form: LeadFilterForm, name: str) -> str:
    return str(form[name].label) if name in form.fields else name


def _own(user: User, view: SavedView) -> None:
    if view.owner_id != user.pk:
        raise Forbidden("Only its owner can change a view.", "view")


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())  # one line, single spaces
    if not name:
        raise ServiceError("Name the view.", "name")
    if len(name) > MAX_VIEW_NAME:
        raise ServiceError(f"A view's name is at most {MAX_VIEW_NAME} characters.", "name")
    if not name.isprintable():
        raise ServiceError("A view's name is plain text.", "name")
    return name


def _saved(view: SavedView) -> SavedView:
    """Save a new or renamed view; a name the owner already uses (in any case) is a Conflict,
    whether this finds it first or the unique constraint does (two saves at once)."""
    taken = SavedView.objects.filter(owner_id=view.owner_id, name__iexact=view.name)
    if view.pk is not None:
        taken = taken.exclude(pk=view.pk)
    if taken.exists():
        raise Conflict(f"You already have a view named “{view.name}”.", "name")
    try:
        with transaction.atomic():
            if view.pk is None:
                view.save()
            elif not SavedView.objects.filter(pk=view.pk).update(name=view.name):
                # (deleted meanwhile: a rename does not bring it back)
                raise NotFound("There is no such saved view (any more).", "view")
    except IntegrityError:
        raise Conflict(f"You already have a view named “{view.name}”.", "name") from None
    return view
