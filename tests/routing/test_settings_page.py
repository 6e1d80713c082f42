"""Settings → Routing: admins list the rules in order, create, edit, reorder and delete them
and choose their reps, through routing.services (one event each, refusals next to the field);
a sales rep gets 403 on every page and every action, and sees no link to it."""

import re

import pytest
from django.test import Client

from events.models import Event, Verb
from routing.models import AssignmentRule

from .conftest import a_rule, rule_named

pytestmark = pytest.mark.django_db

LIST = "/settings/routing/"
NEW = "/settings/routing/new/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user) -> Client:
    return signed_in(admin_user)


def rows(page) -> list[str]:
    """The rule names in the list, in order."""
    return re.findall(r'<td data-label="Rule" class="compact"><strong>([^<]+)</strong>', page)


def test_an_admin_sees_the_rules_in_order_with_their_reps(admin_client, reps):
    a_rule("IVR callers", reps[:2], source="IVR")
    a_rule("Everything else", [reps[2]])
    response = admin_client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert rows(page) == ["IVR callers", "Everything else"]
    assert "rep-a@example.com (0)" in page
    assert "Any source" in page
    assert '<a href="/settings/routing/" aria-current="page">Settings · Routing</a>' in page


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", LIST), ("get", NEW), ("post", NEW), ("get", "/settings/routing/{id}/edit/"),
     ("post", "/settings/routing/{id}/edit/"), ("post", "/settings/routing/{id}/move/"),
     ("get", "/settings/routing/{id}/delete/"), ("post", "/settings/routing/{id}/delete/")],
)  # fmt: skip
def test_a_sales_rep_gets_403_everywhere(rep, reps, method, path):
    rule = a_rule("IVR callers", reps[:1], source="IVR")
    client = signed_in(rep)
    response = getattr(client, method)(path.format(id=rule.pk), {"direction": "up"})
    assert response.status_code == 403
    assert AssignmentRule.objects.get().name == "IVR callers"
    assert "Settings · Routing" not in client.get("/").content.decode()


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_an_admin_creates_a_rule_with_its_reps(admin_client, reps):
    form = {"name": "IVR callers", "source": " IVR ", "active": "on",
            "reps": [reps[0].pk, reps[2].pk]}  # fmt: skip
    response = admin_client.post(NEW, form, follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert "Created the rule “IVR callers”." in response.content.decode()
    rule = rule_named("IVR callers")
    assert (rule.source, rule.active, rule.position) == ("IVR", True, 1)
    assert [m.user for m in rule.members.order_by("pk")] == [reps[0], reps[2]]
    event = Event.objects.get(verb=Verb.ROUTING_RULE_CREATED)
    assert (event.channel, event.subject_type, event.actor_email) == (
        "web", "routing_rule", "admin@example.com",
    )  # fmt: skip
    assert event.changes["reps"] == [None, ["rep-a@example.com", "rep-c@example.com"]]


def test_refusals_are_shown_next_to_their_field(admin_client, reps):
    a_rule("IVR callers", reps[:1])
    response = admin_client.post(NEW, {"name": "ivr CALLERS", "reps": [reps[0].pk]})
    assert response.status_code == 400
    assert "Another rule has this name." in response.content.decode()
    response = admin_client.post(NEW, {"name": "Web", "source": "Website"})
    assert response.status_code == 400
    assert "Choose at least one rep." in response.content.decode()
    assert AssignmentRule.objects.count() == 1


def test_an_admin_edits_a_rule_and_the_event_says_what_changed(admin_client, reps):
    rule = a_rule("IVR callers", reps[:2], source="IVR")
    page = admin_client.get(f"/settings/routing/{rule.pk}/edit/").content.decode()
    assert 'value="IVR callers"' in page
    form = {"name": "IVR", "source": "IVR", "reps": [reps[1].pk, reps[3].pk]}  # active unticked
    response = admin_client.post(f"/settings/routing/{rule.pk}/edit/", form)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.active) == ("IVR", False)
    event = Event.objects.get(verb=Verb.ROUTING_RULE_UPDATED)
    assert event.changes == {
        "name": ["IVR callers", "IVR"],
        "active": [True, False],
        "reps": [["rep-a@example.com", "rep-b@example.com"],
                 ["rep-b@example.com", "rep-d@example.com"]],
    }  # fmt: skip


def test_an_edit_page_shows_a_rep_made_inactive_and_saving_keeps_them(admin_client, reps):
    rule = a_rule("IVR callers", reps[:2])
    reps[1].is_active = False
    reps[1].save()
    page = admin_client.get(f"/settings/routing/{rule.pk}/edit/").content.decode()
    assert "rep-b@example.com — inactive: skipped" in page
    form = {"name": "Renamed", "active": "on", "reps": [reps[0].pk, reps[1].pk]}
    assert admin_client.post(f"/settings/routing/{rule.pk}/edit/", form).status_code == 302
    assert rule.members.count() == 2


def test_move_buttons_reorder_the_rules(admin_client, reps):
    a_rule("One", reps[:1])
    two = a_rule("Two", reps[:1])
    response = admin_client.post(f"/settings/routing/{two.pk}/move/", {"direction": "up"})
    assert response.status_code == 302
    assert response.url == f"{LIST}#rule-{two.pk}"
    assert rows(admin_client.get(LIST).content.decode()) == ["Two", "One"]


def test_deleting_asks_first_then_deletes(admin_client, reps):
    rule = a_rule("IVR callers", reps[:1])
    confirm = admin_client.get(f"/settings/routing/{rule.pk}/delete/")
    assert "Delete the rule “IVR callers”?" in confirm.content.decode()
    assert AssignmentRule.objects.exists()
    response = admin_client.post(f"/settings/routing/{rule.pk}/delete/", follow=True)
    assert "Deleted the rule “IVR callers”." in response.content.decode()
    assert not AssignmentRule.objects.exists()
    assert Event.objects.filter(verb=Verb.ROUTING_RULE_DELETED, channel="web").count() == 1


def test_a_rule_that_cannot_route_says_so(admin_client, reps):
    a_rule("Paused", reps[:1], active=False)
    a_rule("Nobody left", reps[1:2])
    reps[1].is_active = False
    reps[1].save()
    page = admin_client.get(LIST).content.decode()
    assert '<span class="badge">Inactive</span>' in page
    assert "No active rep: routes nothing" in page


def test_an_id_no_column_can_hold_is_a_form_error_not_a_500(admin_user):
    from tests.ui.conftest import logged_in

    browser = logged_in(admin_user)
    response = browser.post(
        "/settings/routing/new/", {"name": "Huge", "reps": ["99999999999999999999999"]}
    )
    assert response.status_code in (200, 400)
    assert "99999999999999999999999" in response.content.decode()  # named in the error
    lead_form = browser.post(
        "/leads/new/",
        {"name": "X", "phone": "+919800000001", "source": "Web", "status": "New",
         "priority": "Medium", "assigned_to": "99999999999999999999999"},
    )  # fmt: skip
    assert lead_form.status_code in (200, 400)
