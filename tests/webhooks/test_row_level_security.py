"""A subscription acts as its owner: it hears only about leads the owner can see at the time of
the event (after the change for an update, before it for a delete)."""

import pytest

from calls.services import call_log
from events.models import Channel
from events.services import Actor
from leads.services import lead_delete, lead_update
from tests.factories import make_lead
from webhooks.models import Message
from webhooks.services import webhook_create

pytestmark = pytest.mark.django_db


def subscribe(user):
    return webhook_create(actor=Actor.system(user), url="https://hooks.example.com/x", events=["*"])


def received(subscription) -> list[tuple[str, str]]:
    import json

    return [
        (message.event_type, json.loads(message.body)["data"]["object"].get("name"))
        for message in Message.objects.filter(subscription=subscription.subscription).order_by(
            "created_at", "id"
        )
    ]


def test_two_reps_hear_only_about_their_own_leads_and_an_admin_about_all(
    rep, other_rep, admin_user
):
    mine, theirs, everyone = subscribe(rep), subscribe(other_rep), subscribe(admin_user)
    admin = Actor(user=admin_user, channel=Channel.API)
    lead = make_lead(name="Rep's lead", assigned_to=rep)
    lead_update(actor=admin, lead=lead, fields={"city": "Pune"})
    other = make_lead(name="Other's lead", assigned_to=other_rep)
    lead_update(actor=admin, lead=other, fields={"city": "Goa"})
    call_log(actor=admin, lead_id=lead.pk, call_type="Inbound", duration_seconds=3)
    assert received(mine) == [("lead.updated", "Rep's lead"), ("call_log.created", None)]
    assert received(theirs) == [("lead.updated", "Other's lead")]
    assert len(received(everyone)) == 3


def test_a_lead_reassigned_away_is_heard_by_the_new_assignee_only(rep, other_rep, admin_user):
    mine, theirs = subscribe(rep), subscribe(other_rep)
    admin = Actor(user=admin_user, channel=Channel.API)
    lead = make_lead(name="Moving", assigned_to=rep)
    lead_update(actor=admin, lead=lead, fields={"assigned_to": other_rep})
    assert received(mine) == []  # after the change it is not the rep's
    assert received(theirs) == [("lead.updated", "Moving")]


def test_a_delete_is_judged_by_the_lead_as_it_was(rep, other_rep, admin_user):
    mine, theirs = subscribe(rep), subscribe(other_rep)
    lead = make_lead(name="Doomed", assigned_to=rep)
    lead_delete(actor=Actor(user=admin_user, channel=Channel.WEB), lead=lead)
    assert received(mine) == [("lead.deleted", "Doomed")]
    assert received(theirs) == []


def test_a_deactivated_owner_hears_nothing(rep, admin_user):
    mine = subscribe(rep)
    rep.is_active = False
    rep.save()
    make_lead(name="Quiet")
    lead = make_lead(name="Quiet 2", assigned_to=rep)
    lead_update(actor=Actor(user=admin_user, channel=Channel.API), lead=lead, fields={"city": "X"})
    assert received(mine) == []
