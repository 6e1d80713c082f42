import uuid

import pytest

from audit.models import AuditLog
from calls.models import CallLog
from leads.models import Activity, Lead
from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db


def test_delete_removes_the_lead_its_calls_and_timeline_and_keeps_the_audit(admin_api):
    created = admin_api.post_json("/api/v1/leads", {"name": "Gone", "phone": "9876543210"})
    lead_id = created.json()["data"]["id"]
    lead = Lead.objects.get(pk=lead_id)
    make_call(lead)
    make_call(lead)
    other = make_lead()
    make_call(other)

    response = admin_api.delete(f"/api/v1/leads/{lead_id}")
    assert response.status_code == 200
    assert response.json() == {"data": {"id": lead_id, "deleted": True}}
    assert not Lead.objects.filter(pk=lead_id).exists()
    assert not CallLog.objects.filter(lead_id=lead_id).exists()
    assert not Activity.objects.filter(lead_id=lead_id).exists()
    assert CallLog.objects.filter(lead=other).count() == 1
    actions = set(AuditLog.objects.filter(object_id=lead_id).values_list("action", flat=True))
    assert actions == {"lead.create", "lead.delete"}
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
    assert not AuditLog.objects.filter(action="lead.delete").exists()


@pytest.mark.parametrize("bad_id", ["123", "not-a-uuid", str(uuid.uuid4())])
def test_unknown_or_malformed_id_is_404(admin_api, bad_id):
    response = admin_api.delete(f"/api/v1/leads/{bad_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_old_leads_outside_the_list_window_can_still_be_read_and_deleted(admin_api):
    lead = make_lead(created_at=make_lead().created_at.replace(year=2020))
    assert admin_api.get(f"/api/v1/leads/{lead.pk}").status_code == 200
    assert admin_api.delete(f"/api/v1/leads/{lead.pk}").status_code == 200
