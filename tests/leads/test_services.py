"""Rules the services enforce whoever calls them (API, UI, admin)."""

import pytest
from django.db import IntegrityError, transaction

from core.errors import Conflict, NotFound, ServiceError
from events.models import Channel, Event
from events.services import Actor
from leads.models import Lead
from leads.services import lead_add_note, lead_delete, lead_update, lead_upsert
from pipelines.selectors import Placement
from tests.factories import make_lead

pytestmark = pytest.mark.django_db


def test_an_edit_cannot_remove_both_phone_and_email(admin_user):
    lead = make_lead(phone="+919800000001")
    with pytest.raises(ServiceError) as error:
        lead_update(
            actor=Actor(user=admin_user, channel=Channel.WEB), lead=lead, fields={"phone": None}
        )
    assert error.value.field == "phone"
    lead.refresh_from_db()
    assert lead.phone == "+919800000001"


def test_the_database_refuses_a_lead_without_phone_or_email_or_name_or_source():
    for fields in [
        {"name": "x", "phone": None, "email": None},
        {"name": "", "phone": "9800000002"},
        # (the counts read a blank source as "any source")
        {"name": "x", "phone": "9800000003", "source": ""},
    ]:
        stage = Placement().stage_for(current=None)  # a valid stage: only the rule breaks
        with pytest.raises(IntegrityError), transaction.atomic():
            Lead(**fields, stage=stage).save()
    Lead(name="x", phone="9800000003", stage=Placement().stage_for(current=None)).save()


def test_reassigning_gets_its_own_timeline_entry(admin_user, rep):
    lead = make_lead()
    lead_update(
        actor=Actor(user=admin_user, channel=Channel.WEB), lead=lead, fields={"assigned_to": rep}
    )
    event = Event.objects.get(lead_id=lead.pk, verb="lead.updated")
    assert event.changes == {"assigned_to": [None, "rep@example.com"]}


def test_deleting_a_lead_that_is_already_gone_is_not_found(admin_user):
    lead = make_lead()
    stale = Lead.objects.get(pk=lead.pk)
    lead_delete(actor=Actor(user=admin_user, channel=Channel.WEB), lead=lead)
    with pytest.raises(NotFound):
        lead_delete(actor=Actor(user=admin_user, channel=Channel.WEB), lead=stale)
    with pytest.raises(NotFound):
        lead_add_note(actor=Actor(user=admin_user, channel=Channel.WEB), lead=stale, text="hello?")


def test_a_rep_cannot_act_on_a_lead_that_is_not_theirs_even_through_the_service(rep, other_rep):
    lead = make_lead(assigned_to=other_rep)
    for action in (
        lambda: lead_delete(actor=Actor(user=rep, channel=Channel.WEB), lead=lead),
        lambda: lead_add_note(actor=Actor(user=rep, channel=Channel.WEB), lead=lead, text="x"),
        lambda: lead_update(
            actor=Actor(user=rep, channel=Channel.WEB), lead=lead, fields={"name": "mine now"}
        ),
    ):
        with pytest.raises(NotFound):
            action()
    lead.refresh_from_db()
    assert lead.name != "mine now"


def test_a_create_that_loses_every_race_is_a_conflict_to_resend(admin_user, monkeypatch):
    """Each attempt reads no lead with the phone, then another writer's lead has it when the
    insert runs (here: one that the reads are made not to see). Three lost races are a 409 the
    client can resend, not a 500."""
    import leads.services

    existing = make_lead(phone="+919800000077")
    monkeypatch.setattr(leads.services, "_matches", lambda phone_key, email_key: (None, None))
    actor = Actor(user=admin_user, channel=Channel.API)
    with pytest.raises(Conflict) as raised:
        lead_upsert(actor=actor, fields={"name": "Race", "phone": "98000 00077"})
    assert raised.value.field == "phone"
    assert Lead.objects.filter(phone_e164=existing.phone_e164).count() == 1
