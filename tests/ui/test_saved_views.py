"""Saved views of the leads list (issue 14): name the current filters and sort; each user's
views in a menu on the list; an admin shares a view with everyone (labelled in everyone's
menu); rename and delete one's own (admins delete shared ones). A view's query string is
validated through the list's filter form when saved and again when applied."""

import re

import pytest
from django.db import IntegrityError
from django.http import QueryDict
from django.test import Client

from core.errors import Conflict, Forbidden, NotFound, ServiceError
from tests.factories import make_lead, make_user
from ui.models import SavedView
from ui.services import (
    MAX_VIEWS_PER_USER,
    saved_view_create,
    saved_view_delete,
    saved_view_rename,
    saved_view_share,
    saved_views_for,
)

from .conftest import logged_in
from .helpers import lead_names, messages_shown

pytestmark = pytest.mark.django_db

LIST = "/leads/"
SAVE = "/leads/views/new/"
MANAGE = "/leads/views/"


def save(client, name: str, query: str, **extra):
    return client.post(SAVE, {"name": name, "query": query, **extra})


def create(owner, name: str, query: str = "", *, shared: bool = False) -> SavedView:
    return saved_view_create(owner=owner, name=name, query=QueryDict(query), shared=shared)


def menu(response) -> str:
    page = response.content.decode()
    return re.search(r'<details class="views-menu".*?</details>', page, re.S).group(0)


def test_saving_keeps_the_filters_and_sort_and_comes_back_to_them(rep, rep_client):
    query = "q=&status=Won&priority=&source=IVR&sort=name&per_page=50&after=abc"
    response = save(rep_client, "  Won   from IVR ", query)
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?status=Won&source=IVR&sort=name"
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.query, view.shared) == (
        rep, "Won from IVR", "status=Won&source=IVR&sort=name", False,
    )  # fmt: skip
    assert messages_shown(rep_client.get(LIST)) == ["Saved the view “Won from IVR”."]


def test_the_menu_lists_a_users_views_and_marks_the_one_shown(rep, rep_client):
    won = create(rep, "Won", "status=Won")
    create(rep, "by name", "sort=name")
    page = rep_client.get(LIST)
    shown = menu(page)
    assert shown.index(">by name</a>") < shown.index(">Won</a>")  # by name, any case
    assert "aria-current" not in shown
    assert 'name="query" value=""' in shown

    opened = rep_client.get(f"/leads/views/{won.pk}/")
    assert opened.status_code == 302
    assert opened["Location"] == f"{LIST}?status=Won"
    shown = menu(rep_client.get(opened["Location"]))
    assert f'<a href="/leads/views/{won.pk}/" aria-current="true">Won</a>' in shown
    assert "Saved views: <span" in shown
    assert 'name="query" value="status=Won"' in shown


def test_applying_a_view_shows_the_leads_it_names(rep, rep_client):
    make_lead(name="Asha", status="Won", assigned_to=rep)
    make_lead(name="Rahul", status="New", assigned_to=rep)
    view = create(rep, "Won", "status=Won&sort=-name")
    response = rep_client.get(f"/leads/views/{view.pk}/", follow=True)
    assert lead_names(response) == ["Asha"]


def test_each_users_views_are_their_own(rep, other_rep):
    mine = create(rep, "Mine", "status=New")
    theirs = create(other_rep, "Theirs", "status=Won")
    client = logged_in(rep)
    shown = menu(client.get(LIST))
    assert ">Mine</a>" in shown
    assert "Theirs" not in shown
    assert client.get(f"/leads/views/{theirs.pk}/").status_code == 404
    assert client.post(f"/leads/views/{theirs.pk}/rename/", {"name": "X"}).status_code == 404
    assert client.post(f"/leads/views/{theirs.pk}/delete/").status_code == 404
    assert saved_views_for(rep) == [mine]
    assert SavedView.objects.count() == 2


def test_an_admin_shares_a_view_with_everyone_labelled_in_their_menus(admin_user, rep):
    admin = logged_in(admin_user)
    save(admin, "Hot leads", "priority=High&sort=-created", shared="1")
    assert messages_shown(admin.get(LIST)) == [
        "Saved the view “Hot leads” and shared it with everyone."
    ]
    create(rep, "Mine")
    shown = menu(logged_in(rep).get(LIST))
    view = SavedView.objects.get(name="Hot leads")
    assert (
        f'<a href="/leads/views/{view.pk}/">Hot leads</a> '
        f'<span class="badge">Shared by {admin_user.email}</span>'
    ) in shown
    assert shown.index(">Mine</a>") < shown.index(">Hot leads</a>")  # own views first
    assert '<span class="badge">Shared</span>' in menu(admin.get(LIST))
    # (The default sort, -created, is left out: a view keeps what differs from the list's.)
    assert logged_in(rep).get(f"/leads/views/{view.pk}/")["Location"] == f"{LIST}?priority=High"


def test_only_admins_share(rep, rep_client):
    response = save(rep_client, "Mine", "status=Won", shared="1")
    assert response.status_code == 302
    assert messages_shown(rep_client.get(LIST)) == [
        "Not saved: Only admins can share a view with everyone."
    ]
    assert not SavedView.objects.exists()
    assert 'id="view-shared"' not in rep_client.get(LIST).content.decode()
    view = create(rep, "Mine")
    with pytest.raises(Forbidden):
        saved_view_share(user=rep, view=view, shared=True)
    rep_client.post(f"/leads/views/{view.pk}/share/", {"shared": "1"})
    view.refresh_from_db()
    assert not view.shared


def test_an_admin_stops_sharing_their_view(admin_user, admin_client):
    view = create(admin_user, "Hot", shared=True)
    admin_client.post(f"/leads/views/{view.pk}/share/", {"shared": "0"})
    view.refresh_from_db()
    assert not view.shared
    assert messages_shown(admin_client.get(MANAGE)) == ["The view “Hot” is no longer shared."]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Name the view."),
        ("   ", "Name the view."),
        ("x" * 81, "A view's name is at most 80 characters."),
        ("bad\x00name", "A view's name is plain text."),
    ],
)
def test_a_name_is_one_line_of_1_to_80_characters(rep, name, message):
    with pytest.raises(ServiceError) as refused:
        create(rep, name)
    assert refused.value.message == message
    assert create(rep, "x" * 80).name == "x" * 80


def test_a_name_is_unique_per_owner_whatever_its_case(rep, other_rep):
    view = create(rep, "Hot leads")
    with pytest.raises(Conflict) as refused:
        create(rep, "HOT LEADS")
    assert refused.value.message == "You already have a view named “HOT LEADS”."
    assert create(other_rep, "Hot leads").owner == other_rep
    other = create(rep, "Cold leads")
    with pytest.raises(Conflict):
        saved_view_rename(user=rep, view=other, name="hot leads")
    saved_view_rename(user=rep, view=view, name="Hot Leads")  # its own name, recased
    assert SavedView.objects.get(pk=view.pk).name == "Hot Leads"


def test_the_database_keeps_names_unique_per_owner_too(rep):
    create(rep, "Hot")
    with pytest.raises(IntegrityError):
        SavedView.objects.create(owner=rep, name="hot")


def test_filters_the_list_refuses_are_not_saved(rep, rep_client):
    save(rep_client, "Bad", "status=Hot&from_date=2026-13-01")
    assert messages_shown(rep_client.get(LIST)) == [
        "Not saved: Fix the filters first (Status: Select a valid choice. Hot is not one of the "
        "available choices.)"
    ]
    assert not SavedView.objects.exists()


def test_applying_a_view_leaves_out_what_the_list_no_longer_accepts(admin_user, admin_client):
    gone = make_user("gone@example.com")
    view = create(admin_user, "Gone's", "status=Won&assigned_to=gone@example.com")
    gone.is_active = False
    gone.save()
    response = admin_client.get(f"/leads/views/{view.pk}/")
    assert response["Location"] == f"{LIST}?status=Won"
    [warning] = messages_shown(admin_client.get(LIST))
    assert warning.startswith(
        "Part of the view “Gone's” no longer applies and was left out: Assigned to: Select a "
        "valid choice."
    )


def test_a_shared_view_applies_to_a_rep_as_their_own_filters_allow(admin_user, rep):
    """A rep's list has no assignee filter: a shared view's assignee is dropped for them (and
    they see only their own leads whatever the view says)."""
    make_lead(name="Mine", status="Won", assigned_to=rep)
    make_lead(name="Not mine", status="Won", assigned_to=admin_user)
    view = create(admin_user, "Admin's won", f"status=Won&assigned_to={admin_user.email}",
                  shared=True)  # fmt: skip
    client = logged_in(rep)
    response = client.get(f"/leads/views/{view.pk}/")
    assert response["Location"] == f"{LIST}?status=Won"
    assert lead_names(client.get(response["Location"])) == ["Mine"]


def test_rename_and_delete_own_views_on_the_manage_page(rep, rep_client):
    view = create(rep, "Old name", "status=Won&sort=name")
    page = rep_client.get(MANAGE).content.decode()
    assert "status: Won · sort: name" in page
    assert f'action="/leads/views/{view.pk}/rename/"' in page
    assert f'action="/leads/views/{view.pk}/share/"' not in page  # a rep does not share

    rep_client.post(f"/leads/views/{view.pk}/rename/", {"name": "New name"})
    assert SavedView.objects.get().name == "New name"
    assert messages_shown(rep_client.get(MANAGE)) == ["Renamed “Old name” to “New name”."]

    rep_client.post(f"/leads/views/{view.pk}/rename/", {"name": ""})
    assert messages_shown(rep_client.get(MANAGE)) == ["Not renamed: This field is required."]

    rep_client.post(f"/leads/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()
    assert messages_shown(rep_client.get(MANAGE)) == ["Deleted the view “New name”."]
    assert 'id="no-views"' in rep_client.get(MANAGE).content.decode()


def test_admins_delete_shared_views_and_nobody_else_changes_them(admin_user, rep):
    other_admin = make_user("boss@example.com", admin=True)
    shared = create(other_admin, "Team view", shared=True)
    private = create(other_admin, "Private")
    rep_client = logged_in(rep)

    page = rep_client.get(MANAGE).content.decode()
    assert "Team view" in page
    assert f"/leads/views/{shared.pk}/delete/" not in page
    assert f"/leads/views/{shared.pk}/rename/" not in page
    rep_client.post(f"/leads/views/{shared.pk}/delete/")
    rep_client.post(f"/leads/views/{shared.pk}/rename/", {"name": "Mine now"})
    assert messages_shown(rep_client.get(MANAGE)) == [
        "Only its owner or an admin can delete a shared view.",
        "Not renamed: Only its owner can change a view.",
    ]
    with pytest.raises(NotFound):
        saved_view_delete(user=admin_user, view=private)  # another admin's own, not shared

    admin = logged_in(admin_user)
    assert f"/leads/views/{shared.pk}/delete/" in admin.get(MANAGE).content.decode()
    admin.post(f"/leads/views/{shared.pk}/delete/")
    assert list(SavedView.objects.all()) == [private]


def test_a_user_has_at_most_100_views(rep):
    SavedView.objects.bulk_create(
        [SavedView(owner=rep, name=f"v{n}") for n in range(MAX_VIEWS_PER_USER)]
    )
    with pytest.raises(ServiceError, match="the most one can have"):
        create(rep, "One more")


def test_writes_need_a_post_with_the_csrf_token(rep):
    view = create(rep, "Mine")
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    assert client.get(SAVE).status_code == 405
    assert client.get(f"/leads/views/{view.pk}/delete/").status_code == 405
    assert save(client, "Other", "").status_code == 403
    assert client.post(f"/leads/views/{view.pk}/delete/").status_code == 403
    assert client.post(f"/leads/views/{view.pk}/rename/", {"name": "X"}).status_code == 403
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Mine"]


def test_the_pages_need_a_login(rep):
    view = create(rep, "Mine")
    for path in (MANAGE, f"/leads/views/{view.pk}/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_filters_too_long_to_keep_are_refused_not_a_500(rep):
    long_search = "€" * 200  # 200 characters typed, 1,800 once encoded
    with pytest.raises(ServiceError) as refused:
        create(rep, "Long", f"q={long_search}&source={'é' * 100}")
    assert refused.value.field == "query"
    assert not SavedView.objects.exists()


def test_a_view_keeps_one_value_a_filter_and_only_the_users_own_filters(rep):
    view = create(rep, "Mine", "q=" + "x" * 5000 + "&q=asha&assigned_to=" + "y" * 3000)
    assert view.query == "q=asha"


def test_renaming_or_sharing_a_view_deleted_meanwhile_is_not_found(admin_user):
    view = create(admin_user, "Gone soon", "q=asha")
    SavedView.objects.filter(pk=view.pk).delete()
    with pytest.raises(NotFound):
        saved_view_rename(user=admin_user, view=view, name="Back?")
    with pytest.raises(NotFound):
        saved_view_share(user=admin_user, view=view, shared=True)
    assert not SavedView.objects.exists()
