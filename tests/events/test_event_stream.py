"""One event per change, written with the change or not at all, never edited afterwards."""

import pytest
from django.db import transaction

from apikeys.models import APIKey
from apikeys.services import apikey_regenerate, apikey_revoke, apikey_update
from calls.models import CallLog
from calls.services import call_delete, call_log, call_update
from events.models import Channel, Event, ImmutableEvent
from events.services import Actor, record_event
from leads.models import Lead, Note
from leads.services import (
    lead_add_note,
    lead_create,
    lead_delete,
    lead_merge,
    lead_update,
    lead_upsert,
)
from tests.factories import make_call, make_key, make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(admin_user):
    return Actor(user=admin_user, channel=Channel.WEB, ip="192.0.2.4")


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_the_changes_transaction_is_refused(actor):
    lead = make_lead()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record_event(actor=actor, verb="lead.updated", subject=lead)
    assert not Event.objects.exists()


def test_events_cannot_be_changed_or_deleted(actor):
    lead = make_lead()
    with transaction.atomic():
        event = record_event(actor=actor, verb="lead.updated", subject=lead, lead_id=lead.pk)
    event.verb = "lead.deleted"
    with pytest.raises(ImmutableEvent):
        event.save()
    with pytest.raises(ImmutableEvent):
        event.delete()
    assert Event.objects.get().verb == "lead.updated"


def every_write(actor, admin_user):
    """(name, a function making one change, the verb its event must have)."""
    lead = make_lead(name="Asha", phone="+919800000010")
    call = make_call(lead)
    key, _ = make_key(admin_user)
    fields = {"name": "Ravi", "phone": "+919800000011"}
    return [
        ("lead_create", lambda: lead_create(actor=actor, fields=fields), "lead.created"),
        ("lead_upsert new", lambda: lead_upsert(actor=actor, fields=fields), "lead.created"),
        ("lead_upsert merge",
         lambda: lead_upsert(actor=actor, fields={"name": "A", "phone": lead.phone}),
         "lead.merged"),
        ("lead_merge", lambda: lead_merge(actor=actor, lead=lead, fields={"city": "Pune"}),
         "lead.merged"),
        ("lead_update", lambda: lead_update(actor=actor, lead=lead, fields={"city": "Pune"}),
         "lead.updated"),
        ("lead_add_note", lambda: lead_add_note(actor=actor, lead=lead, text="hi"),
         "lead.note_added"),
        ("lead_delete", lambda: lead_delete(actor=actor, lead=lead), "lead.deleted"),
        ("call_log",
         lambda: call_log(actor=actor, lead_id=lead.pk, call_type="Inbound", duration_seconds=3),
         "call_log.created"),
        ("call_update", lambda: call_update(actor=actor, call=call, fields={"notes": "x"}),
         "call_log.updated"),
        ("call_delete", lambda: call_delete(actor=actor, call=call), "call_log.deleted"),
        ("apikey_update",
         lambda: apikey_update(actor=actor, api_key=key, fields={"name": "renamed"}),
         "api_key.updated"),
        ("apikey_regenerate", lambda: apikey_regenerate(actor=actor, api_key=key),
         "api_key.regenerated"),
        ("apikey_revoke", lambda: apikey_revoke(actor=actor, api_key=key), "api_key.revoked"),
    ]  # fmt: skip


WRITES = [
    "lead_create", "lead_upsert new", "lead_upsert merge", "lead_merge", "lead_update",
    "lead_add_note", "lead_delete", "call_log", "call_update", "call_delete", "apikey_update",
    "apikey_regenerate", "apikey_revoke",
]  # fmt: skip


@pytest.mark.parametrize("name", WRITES)
def test_every_write_records_exactly_one_event_saying_who_and_where(actor, admin_user, name):
    writes = {write: (change, verb) for write, change, verb in every_write(actor, admin_user)}
    before = set(Event.objects.values_list("pk", flat=True))
    change, verb = writes[name]
    change()
    (event,) = Event.objects.exclude(pk__in=before)
    assert event.verb == verb
    assert (event.actor, event.actor_email, event.channel) == (admin_user, admin_user.email, "web")
    assert str(event.ip) == "192.0.2.4"


@pytest.mark.parametrize("name", WRITES)
def test_a_change_whose_event_cannot_be_written_is_not_made(actor, admin_user, name, monkeypatch):
    writes = {write: (change, verb) for write, change, verb in every_write(actor, admin_user)}

    def state():
        return [
            list(model.objects.order_by("pk").values())
            for model in (Lead, Note, CallLog, APIKey, Event)
        ]

    before = state()

    def broken(*args, **kwargs):
        raise RuntimeError("the event table is unavailable")

    monkeypatch.setattr(Event.objects, "create", broken)
    change, _ = writes[name]
    with pytest.raises(RuntimeError, match="unavailable"):
        change()
    assert state() == before
