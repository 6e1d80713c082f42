import pytest

from calls.models import CallLog
from events.models import Event
from events.services import Actor
from leads.models import Lead, Note
from leads.services import lead_add_note
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db


def test_delete_removes_the_lead_its_calls_and_timeline_and_keeps_the_audit(admin_api):
    created = admin_api.post_json("/api/v1/leads", {"name": "Gone", "phone": "9876543210"})
    lead_id = created.json()["data"]["id"]
    lead = Lead.objects.get(pk=lead_id)
    make_call(lead)
    make_call(lead)
    lead_add_note(
        actor=Actor.system(user=lead.assigned_to or admin_api.api_key.user),
        lead=lead,
        text="A note",
    )
    other = make_lead()
    make_call(other)

    response = admin_api.delete(f"/api/v1/leads/{lead_id}")
    assert response.status_code == 200
    assert response.json() == {"data": {"id": lead_id, "deleted": True}}
    assert not Lead.objects.filter(pk=lead_id).exists()
    assert not CallLog.objects.filter(lead_id=lead_id).exists()
    assert not Note.objects.filter(lead_id=lead_id).exists()
    assert CallLog.objects.filter(lead=other).count() == 1
    verbs = set(Event.objects.filter(lead_id=lead_id).values_list("verb", flat=True))
    assert verbs == {"lead.created", "lead.note_added", "lead.deleted"}
    deleted = Event.objects.get(subject_id=lead_id, verb="lead.deleted")
    assert deleted.snapshot["name"] == "Gone"  # the last representation stays
    assert admin_api.delete(f"/api/v1/leads/{lead_id}").status_code == 404


def test_delete_is_one_transaction(admin_api, monkeypatch):
    lead = make_lead()
    make_call(lead)

    def fail(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("leads.models.Lead.delete", fail)
    response = admin_api.delete(f"/api/v1/leads/{lead.pk}")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert Lead.objects.filter(pk=lead.pk).exists()
    assert not Event.objects.filter(verb="lead.deleted").exists()


@pytest.mark.parametrize("bad_id", ["123", "not-a-uuid", "0b5e3c5a-7f0e-4d2b-9a51-6f2d8c3e1a47"])
def test_unknown_or_malformed_id_is_404(admin_api, bad_id):
    response = admin_api.delete(f"/api/v1/leads/{bad_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_old_leads_outside_the_list_window_can_still_be_read_and_deleted(admin_api):
    lead = make_lead(created_at=make_lead().created_at.replace(year=2020))
    assert admin_api.get(f"/api/v1/leads/{lead.pk}").status_code == 200
    assert admin_api.delete(f"/api/v1/leads/{lead.pk}").status_code == 200
