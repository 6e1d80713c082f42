"""An admin's new-key form (Settings → Integrations → API → New API key) starts with the admin
as the linked user: the field is required, so it must not start empty. Keys are not added in
the Django admin (it can never show the raw key once), so this is the one add form."""

import re

import pytest
from django.test import Client

from apikeys.models import APIKey

pytestmark = pytest.mark.django_db

NEW = "/settings/integrations/api/new/"


def selected_user(page: str) -> list[str]:
    select = re.search(r'<select name="user"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r"<option[^>]*selected[^>]*>(.*?)</option>", select)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_is_the_linked_user_to_begin_with(admin_user, rep):
    page = logged_in(admin_user).get(NEW).content.decode()
    assert selected_user(page) == ["admin@example.com"]


def test_keeping_the_default_links_the_key_to_the_admin(admin_user, rep):
    client = logged_in(admin_user)
    page = client.get(NEW).content.decode()
    user_id = re.search(r'<option value="(\d+)"[^>]*selected', page).group(1)
    response = client.post(
        NEW, {"name": "Dialer", "user": user_id, "can_read": "on", "rate_limit_per_minute": 100}
    )
    assert response.status_code == 302, response.content
    assert APIKey.objects.get(name="Dialer").user == admin_user


def test_editing_a_key_shows_its_own_linked_user(admin_user, rep):
    client = logged_in(admin_user)
    client.post(NEW, {"name": "Reps key", "user": rep.pk, "can_read": "on",
                      "rate_limit_per_minute": 100})  # fmt: skip
    key = APIKey.objects.get(name="Reps key")
    page = client.get(f"/settings/integrations/api/{key.pk}/edit/").content.decode()
    assert selected_user(page) == ["rep@example.com"]


def test_the_django_admin_adds_no_keys(admin_user):
    assert logged_in(admin_user).get("/admin/apikeys/apikey/add/").status_code == 403
