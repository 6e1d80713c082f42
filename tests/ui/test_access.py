"""Who may see what: login, row-level security (the API's rules) and CSRF."""

import uuid

import pytest
from django.test import Client, override_settings

from events.models import Event
from leads.models import Lead, Note
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db

PAGES = ["/", "/leads/", "/leads/new/", "/leads/export.csv", "/calls/", "/pipeline/", "/reports/",
         "/settings/integrations/webhooks/", "/settings/integrations/webhooks/new/",
         "/settings/pipelines/", "/settings/pipelines/new/"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_every_page_requires_login(path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/login/?next={path}")


def test_login_page_logs_a_rep_in_and_out(rep):
    client = Client()
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "REP@example.com", "password": "pw"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_password_is_an_error_on_the_login_page(rep):
    response = Client().post("/login/", {"username": rep.email, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()


@pytest.mark.parametrize("path", ["/leads/{id}/", "/leads/{id}/edit/", "/leads/{id}/delete/"])
def test_a_rep_gets_404_for_another_reps_lead(rep_client, other_rep, path):
    lead = make_lead(name="Not yours", assigned_to=other_rep)
    assert rep_client.get(path.format(id=lead.pk)).status_code == 404


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/leads/{id}/edit/", {"name": "Stolen", "phone": "+919812345678", "source": "X",
                               "status": "New", "priority": "Low"}),
        ("/leads/{id}/delete/", {}),
        ("/leads/{id}/calls/", {"call_type": "Inbound", "duration": "30"}),
        ("/leads/{id}/notes/", {"text": "sneaky"}),
        ("/leads/{id}/status/", {"status": "Won"}),
    ],
)  # fmt: skip
def test_a_rep_cannot_change_another_reps_lead(rep_client, other_rep, path, data):
    lead = make_lead(name="Not yours", assigned_to=other_rep)
    assert rep_client.post(path.format(id=lead.pk), data).status_code == 404
    lead.refresh_from_db()
    assert (lead.name, lead.status) == ("Not yours", "New")
    assert lead.calls.count() == 0
    assert not Event.objects.filter(lead_id=lead.pk).exists()
    assert not Note.objects.filter(lead=lead).exists()


def test_a_rep_gets_404_for_an_unassigned_lead(rep_client):
    lead = make_lead(name="Nobody's")
    assert rep_client.get(f"/leads/{lead.pk}/").status_code == 404


def test_an_admin_sees_every_lead(admin_client, other_rep):
    lead = make_lead(name="Sara's lead", assigned_to=other_rep)
    response = admin_client.get(f"/leads/{lead.pk}/")
    assert response.status_code == 200
    assert "Sara&#x27;s lead" in response.content.decode()


def test_lists_show_a_rep_only_their_own_leads_and_calls(rep_client, rep, other_rep):
    mine = make_lead(name="Mine Lead", assigned_to=rep)
    theirs = make_lead(name="Theirs Lead", assigned_to=other_rep)
    make_call(mine, notes="my call")
    make_call(theirs, notes="their call")
    leads_page = rep_client.get("/leads/").content.decode()
    calls_page = rep_client.get("/calls/").content.decode()
    home_page = rep_client.get("/").content.decode()
    assert "Mine Lead" in leads_page
    assert "Theirs Lead" not in leads_page
    assert "my call" in calls_page
    assert "their call" not in calls_page
    assert "Mine Lead" in home_page
    assert "Theirs Lead" not in home_page


def test_a_rep_cannot_filter_by_assignee_to_see_others(rep_client, other_rep):
    make_lead(name="Theirs Lead", assigned_to=other_rep)
    page = rep_client.get("/leads/", {"assigned_to": other_rep.email}).content.decode()
    assert "Theirs Lead" not in page
    assert 'name="assigned_to"' not in page


def test_calls_filtered_by_another_reps_lead_show_nothing(rep_client, other_rep):
    theirs = make_lead(name="Theirs Lead", assigned_to=other_rep)
    make_call(theirs, notes="their call")
    page = rep_client.get("/calls/", {"lead": str(theirs.pk)}).content.decode()
    assert "their call" not in page
    assert "Theirs Lead" not in page


@pytest.mark.parametrize(
    "path", ["/leads/new/", "/leads/{id}/edit/", "/leads/{id}/delete/", "/leads/{id}/calls/",
             "/leads/{id}/notes/", "/leads/{id}/status/", "/logout/"],
)  # fmt: skip
def test_every_form_post_needs_the_csrf_token(rep, path):
    lead = make_lead(name="Kept", assigned_to=rep)
    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)
    response = client.post(path.format(id=lead.pk), {"name": "Changed", "text": "x"})
    assert response.status_code == 403
    assert Lead.objects.filter(pk=lead.pk, name="Kept").exists()


def test_forms_carry_the_csrf_token(rep_client, rep):
    lead = make_lead(assigned_to=rep)
    for path in ["/leads/new/", f"/leads/{lead.pk}/", f"/leads/{lead.pk}/edit/",
                 f"/leads/{lead.pk}/delete/"]:  # fmt: skip
        page = rep_client.get(path).content.decode()
        assert page.count("<form") == page.count('name="csrfmiddlewaretoken"'), path


@pytest.mark.parametrize(
    "path", ["/leads/{id}/calls/", "/leads/{id}/notes/", "/leads/{id}/status/"]
)
def test_quick_actions_only_accept_post(rep_client, rep, path):
    lead = make_lead(assigned_to=rep)
    assert rep_client.get(path.format(id=lead.pk)).status_code == 405


def test_a_page_that_is_not_there_says_so_in_the_app_layout(client, rep):
    client.force_login(rep)
    with override_settings(DEBUG=False):
        response = client.get(f"/leads/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert "not assigned to you" in response.content.decode()
