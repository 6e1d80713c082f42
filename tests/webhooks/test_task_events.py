"""Task events reach webhooks (issue 14): `task.created`, `task.updated` (with previous values)
and `task.deleted`, signed and delivered to a real receiver; a rep's subscription hears about
the tasks on the rep's leads and the tasks assigned to the rep, nothing else."""

import datetime as dt
import json

import pytest

from events.models import Channel
from events.services import Actor
from tasks.services import task_create, task_delete, task_update
from tests.factories import make_lead
from webhooks.models import Message
from webhooks.services import webhook_create

from .conftest import drain

pytestmark = pytest.mark.django_db


def test_task_events_are_delivered_signed_with_previous_values(admin_api, receiver, rep):
    lead = make_lead(name="Asha", assigned_to=rep)
    response = admin_api.post_json(
        "/api/v1/webhooks",
        {"url": receiver.url, "events": ["task.created", "task.updated", "task.deleted"]},
    )
    receiver.secret = response.json()["data"]["secret"]
    task = admin_api.post_json(
        "/api/v1/tasks",
        {"lead_id": str(lead.pk), "title": "Quote", "due_at": "2030-01-06T10:00:00Z"},
    ).json()["data"]
    admin_api.patch(f"/api/v1/tasks/{task['id']}", {"done": True}, format="json")
    admin_api.delete(f"/api/v1/tasks/{task['id']}")
    admin_api.post_json("/api/v1/leads", {"name": "Not a task", "phone": "+919800000077"})
    drain()
    got = receiver.wait_for(3)
    assert all(message.verified for message in got)
    assert [message.json["type"] for message in got] == [
        "task.created", "task.updated", "task.deleted",
    ]  # fmt: skip
    assert got[0].json["data"]["object"] == task
    updated = got[1].json["data"]
    assert updated["object"]["done"] is True
    assert updated["previous_attributes"] == {"done": False, "done_at": None, "done_by": None}
    assert got[2].json["data"]["object"]["id"] == task["id"]


def test_a_reps_subscription_hears_tasks_on_their_leads_and_assigned_to_them(
    rep, other_rep, admin_user
):
    mine = webhook_create(actor=Actor.system(rep), url="https://hooks.example.com/x", events=["*"])
    admin = Actor(user=admin_user, channel=Channel.API)
    my_lead = make_lead(assigned_to=rep)
    their_lead = make_lead(assigned_to=other_rep)
    on_my_lead = task_create(
        actor=admin,
        lead_id=my_lead.pk,
        fields={"title": "On my lead", "due_at": _due(), "assigned_to": other_rep},
    )
    task_create(
        actor=admin,
        lead_id=their_lead.pk,
        fields={"title": "Assigned to me", "due_at": _due(), "assigned_to": rep},
    )
    hidden = task_create(
        actor=admin, lead_id=their_lead.pk, fields={"title": "Hidden", "due_at": _due()}
    )
    task_update(actor=admin, task=hidden, fields={"done": True})
    task_delete(actor=admin, task=on_my_lead)
    heard = sorted(
        (message.event_type, json.loads(message.body)["data"]["object"]["title"])
        for message in Message.objects.filter(subscription=mine.subscription)
    )
    assert heard == [
        ("task.created", "Assigned to me"),
        ("task.created", "On my lead"),
        ("task.deleted", "On my lead"),
    ]


def _due():
    return dt.datetime(2030, 1, 6, 10, tzinfo=dt.UTC)
