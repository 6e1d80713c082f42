"""A routed lead's lead.created event says which rule assigned it (`assigned_by_rule` in its
changes, beside `assigned_to`); its webhook message and its timeline say so too. The name is
the rule's at that moment: renaming or deleting the rule later does not rewrite history."""

import json

import pytest
from django.test import Client

from events.models import Event, Verb
from events.services import Actor
from routing.services import assignment_rule_delete
from tests.factories import unique_phone
from webhooks.models import Message
from webhooks.services import webhook_create

from .conftest import SYSTEM, a_rule

pytestmark = pytest.mark.django_db


def test_the_created_event_names_the_rule_and_the_rep(admin_api, reps):
    rule = a_rule("IVR callers", [reps[1]], source="IVR")
    body = {"name": "Caller", "phone": unique_phone(), "source": "IVR"}
    lead_id = admin_api.post_json("/api/v1/leads", body).json()["data"]["id"]
    event = Event.objects.get(verb=Verb.LEAD_CREATED, subject_id=lead_id)
    assert event.changes["assigned_to"] == [None, "rep-b@example.com"]
    assert event.changes["assigned_by_rule"] == [None, "IVR callers"]
    assert event.snapshot["assigned_to"] == "rep-b@example.com"
    assignment_rule_delete(actor=SYSTEM, rule=rule)
    event.refresh_from_db()
    assert event.changes["assigned_by_rule"] == [None, "IVR callers"]


def test_an_unrouted_lead_s_event_has_no_rule(admin_api, reps):
    a_rule("IVR callers", [reps[1]], source="IVR")
    admin_api.post_json("/api/v1/leads", {"name": "Walk in", "phone": unique_phone()})
    assert "assigned_by_rule" not in Event.objects.get(verb=Verb.LEAD_CREATED).changes


def test_the_webhook_message_carries_the_rule(admin_api, admin_user, reps):
    owner = Actor.system(user=admin_user)
    webhook_create(actor=owner, url="https://hooks.example.com/crm", events=["*"])
    a_rule("IVR callers", [reps[1]], source="IVR")
    body = {"name": "Caller", "phone": unique_phone(), "source": "IVR"}
    admin_api.post_json("/api/v1/leads", body)
    admin_api.post_json("/api/v1/leads", {"name": "Walk in", "phone": unique_phone()})
    bodies = [json.loads(message.body) for message in Message.objects.order_by("created_at")]
    assert [(b["type"], b["data"]["assigned_by_rule"]) for b in bodies] == [
        ("lead.created", "IVR callers"),
        ("lead.created", None),
    ]
    assert bodies[0]["data"]["object"]["assigned_to"] == "rep-b@example.com"


def test_the_timeline_says_the_rule_assigned_it(admin_api, admin_user, reps):
    a_rule("IVR callers", [reps[1]], source="IVR")
    body = {"name": "Caller", "phone": unique_phone(), "source": "IVR"}
    lead_id = admin_api.post_json("/api/v1/leads", body).json()["data"]["id"]
    browser = Client()
    browser.force_login(admin_user)
    page = browser.get(f"/leads/{lead_id}/").content.decode()
    assert "Assigned to rep-b@example.com by the rule “IVR callers”." in page
