import re

import pytest
from django.test import Client

from apikeys.models import APIKey
from events.models import Event
from tests.conftest import KeyClient
from tests.factories import make_key

pytestmark = pytest.mark.django_db

LIST = "/settings/integrations/api/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown_key(response) -> str:
    match = re.search(r'value="(le_live_[0-9A-Za-z]+)"', response.content.decode())
    assert match, "the new key is not on the page"
    return match.group(1)


def test_requires_login():
    response = Client().get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_lists_keys_with_their_details(admin_user, client_for):
    client = client_for(admin_user, permissions="read,write", allowed_ips=["10.0.0.0/8"])
    client.get("/api/v1/leads", REMOTE_ADDR="10.1.2.3")
    page = logged_in(admin_user).get(LIST).content.decode()
    for text in [client.api_key.name, client.api_key.prefix, admin_user.email, "Read", "Write",
                 "10.0.0.0/8", "100/min", "10.1.2.3", "Regenerate Key", "Revoke"]:  # fmt: skip
        assert text in page


def test_create_shows_the_key_once_and_stores_only_its_hash(rep):
    browser = logged_in(rep)
    response = browser.post(
        f"{LIST}new/",
        {
            "name": "IVR",
            "can_read": "on",
            "can_write": "on",
            "allowed_ips": "",
            "rate_limit_per_minute": "60",
        },
    )
    # POST, then redirect, then GET: the page that shows the key is never the POST's answer,
    # and the raw key is never in a URL.
    assert response.status_code == 302
    assert "le_live_" not in response["Location"]
    response = browser.get(response["Location"])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = shown_key(response)
    key = APIKey.objects.get(name="IVR")
    assert (key.user, key.can_read, key.can_write, key.can_delete) == (rep, True, True, False)
    assert KeyClient(raw).get("/api/v1/leads").status_code == 200
    assert raw not in browser.get(LIST).content.decode()


def test_reloading_the_new_key_page_shows_no_key_and_makes_no_second_key(rep):
    browser = logged_in(rep)
    created = browser.post(f"{LIST}new/", {"name": "IVR", "can_read": "on"})
    first = browser.get(created["Location"])
    raw = shown_key(first)
    reloaded = browser.get(created["Location"], follow=True)
    assert raw not in reloaded.content.decode()
    assert "was shown once" in reloaded.content.decode()
    assert APIKey.objects.filter(name="IVR").count() == 1
    assert KeyClient(raw).get("/api/v1/leads").status_code == 200


def test_the_raw_key_stays_out_of_the_session_once_shown(rep):
    browser = logged_in(rep)
    created = browser.post(f"{LIST}new/", {"name": "IVR", "can_read": "on"})
    raw = shown_key(browser.get(created["Location"]))
    session = browser.session
    assert raw not in str(dict(session.items()))


def test_a_new_key_page_of_someone_elses_key_is_not_found(rep, other_rep):
    theirs, _ = make_key(other_rep)
    assert logged_in(rep).get(f"{LIST}{theirs.pk}/created/").status_code == 404


def test_form_errors_are_shown_next_to_the_field(admin_user):
    response = logged_in(admin_user).post(
        f"{LIST}new/",
        {
            "name": "",
            "can_read": "on",
            "allowed_ips": "10.0.0.1/8\nnope",
            "rate_limit_per_minute": "0",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in page
    assert "is not an IP address or CIDR range" in page
    assert "greater than or equal to 1" in page
    assert not APIKey.objects.exists()


def test_a_rep_cannot_choose_their_keys_rate_limit(rep):
    browser = logged_in(rep)
    page = browser.get(f"{LIST}new/").content.decode()
    assert 'name="rate_limit_per_minute"' not in page
    assert "100</strong> requests per minute" in page
    browser.post(
        f"{LIST}new/", {"name": "greedy", "can_read": "on", "rate_limit_per_minute": "1000000"}
    )
    key = APIKey.objects.get(name="greedy")
    assert key.rate_limit_per_minute == 100
    browser.post(
        f"{LIST}{key.pk}/edit/",
        {"name": "greedy", "can_read": "on", "rate_limit_per_minute": "5000"},
    )
    key.refresh_from_db()
    assert key.rate_limit_per_minute == 100


def test_key_changes_are_audited(admin_user, rep):
    browser = logged_in(admin_user)
    browser.post(f"{LIST}new/", {"name": "audited", "user": rep.pk, "can_read": "on",
                                 "rate_limit_per_minute": "100"})  # fmt: skip
    key = APIKey.objects.get(name="audited")
    edit = {"name": "audited", "user": rep.pk, "can_read": "on", "can_write": "on",
            "rate_limit_per_minute": "100"}  # fmt: skip
    browser.post(f"{LIST}{key.pk}/edit/", edit)
    browser.post(f"{LIST}{key.pk}/regenerate/")
    browser.post(f"{LIST}{key.pk}/revoke/")
    entries = Event.objects.filter(subject_type="api_key", subject_id=str(key.pk))
    assert sorted(entries.values_list("verb", flat=True)) == [
        "api_key.created", "api_key.regenerated", "api_key.revoked", "api_key.updated",
    ]  # fmt: skip
    update = entries.get(verb="api_key.updated")
    assert (update.actor_email, update.channel) == ("admin@example.com", "web")
    assert update.changes == {"permissions": [["Read"], ["Read", "Write"]]}
    key.refresh_from_db()
    raw_secret_parts = [key.hashed_key]
    assert not any(part in str(entry.changes) for entry in entries for part in raw_secret_parts)


def test_a_key_needs_at_least_one_permission(rep):
    response = logged_in(rep).post(f"{LIST}new/", {"name": "x", "rate_limit_per_minute": "5"})
    assert "at least one permission" in response.content.decode()


def test_edit_toggles_allowlist_name_and_rate_limit(rep, admin_user):
    key, raw = make_key(rep, permissions="read")
    response = logged_in(admin_user).post(
        f"{LIST}{key.pk}/edit/",
        {
            "name": "Renamed",
            "user": rep.pk,
            "can_read": "on",
            "can_delete": "on",
            "allowed_ips": "203.0.113.7, 2001:db8::/48",
            "rate_limit_per_minute": "30",
        },
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.name == "Renamed"
    assert (key.can_read, key.can_write, key.can_delete) == (True, False, True)
    assert key.allowed_ips == ["203.0.113.7/32", "2001:db8::/48"]
    assert key.rate_limit_per_minute == 30
    assert KeyClient(raw).get("/api/v1/leads", REMOTE_ADDR="203.0.113.7").status_code == 200


def test_regenerate_asks_first_then_shows_a_new_key_and_kills_the_old(rep):
    key, old = make_key(rep)
    browser = logged_in(rep)
    confirm = browser.get(f"{LIST}{key.pk}/regenerate/")
    assert "stops working immediately" in confirm.content.decode()
    assert KeyClient(old).get("/api/v1/leads").status_code == 200  # GET changed nothing
    new = shown_key(browser.post(f"{LIST}{key.pk}/regenerate/", follow=True))
    assert new != old
    assert KeyClient(old).get("/api/v1/leads").status_code == 401
    assert KeyClient(new).get("/api/v1/leads").status_code == 200


def test_revoke_asks_first_then_stops_the_key(rep):
    key, raw = make_key(rep)
    browser = logged_in(rep)
    assert "cannot be undone" in browser.get(f"{LIST}{key.pk}/revoke/").content.decode()
    assert browser.post(f"{LIST}{key.pk}/revoke/").status_code == 302
    assert KeyClient(raw).get("/api/v1/leads").status_code == 401
    assert browser.post(f"{LIST}{key.pk}/regenerate/").status_code == 302  # refused, redirected
    assert KeyClient(raw).get("/api/v1/leads").status_code == 401


def test_admin_manages_every_key_and_may_link_any_user(admin_user, rep):
    rep_key, _ = make_key(rep, name="rep's key")
    browser = logged_in(admin_user)
    assert "rep&#x27;s key" in browser.get(LIST).content.decode()
    response = browser.post(
        f"{LIST}new/",
        {
            "name": "for rep",
            "user": rep.pk,
            "can_read": "on",
            "rate_limit_per_minute": "100",
        },
    )
    assert response.status_code == 302
    assert APIKey.objects.get(name="for rep").user == rep
    assert browser.post(f"{LIST}{rep_key.pk}/revoke/").status_code == 302


def test_rep_sees_and_manages_only_their_own_keys(rep, other_rep, admin_user):
    make_key(rep, name="mine")
    theirs, their_raw = make_key(other_rep, name="theirs")
    browser = logged_in(rep)
    page = browser.get(LIST).content.decode()
    assert "mine" in page
    assert "theirs" not in page
    for action in ["edit", "regenerate", "revoke"]:
        assert browser.get(f"{LIST}{theirs.pk}/{action}/").status_code == 404
        assert browser.post(f"{LIST}{theirs.pk}/{action}/").status_code == 404
    assert KeyClient(their_raw).get("/api/v1/leads").status_code == 200


def test_rep_cannot_link_a_key_to_someone_else(rep, other_rep):
    browser = logged_in(rep)
    assert 'name="user"' not in browser.get(f"{LIST}new/").content.decode()
    browser.post(
        f"{LIST}new/",
        {
            "name": "sneaky",
            "user": other_rep.pk,
            "can_read": "on",
            "rate_limit_per_minute": "100",
        },
    )
    assert APIKey.objects.get(name="sneaky").user == rep
    key, _ = make_key(rep, name="mine")
    browser.post(
        f"{LIST}{key.pk}/edit/",
        {
            "name": "mine",
            "user": other_rep.pk,
            "can_read": "on",
            "rate_limit_per_minute": "100",
        },
    )
    key.refresh_from_db()
    assert key.user == rep


def test_forms_are_csrf_protected(rep):
    key, raw = make_key(rep)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(rep)
    assert browser.post(f"{LIST}{key.pk}/revoke/").status_code == 403
    assert browser.post(f"{LIST}{key.pk}/regenerate/").status_code == 403
    assert KeyClient(raw).get("/api/v1/leads").status_code == 200


def test_page_is_linked_from_the_navigation(rep):
    assert f'href="{LIST}"' in logged_in(rep).get("/").content.decode()
