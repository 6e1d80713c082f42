import uuid

import pytest

from events.models import Event
from leads.models import Lead
from pipelines.models import Pipeline

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"
LEAD_FIELDS = {
    "id", "name", "email", "phone", "company", "city", "source", "status", "pipeline_id",
    "stage_id", "stage", "priority", "tags", "deal_value", "notes", "assigned_to", "created_at",
    "updated_at",
}  # fmt: skip


def error_of(response, status=400):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


def test_minimal_lead_gets_the_documented_defaults(admin_api):
    response = admin_api.post_json(LEADS, {"name": "Asha Verma", "phone": "+91 98765 43210"})
    assert response.status_code == 201
    lead = response.json()["data"]
    assert set(lead) == LEAD_FIELDS
    assert lead["source"] == "API"
    assert lead["status"] == "New"
    sales = Pipeline.objects.get(is_default=True)
    assert (lead["pipeline_id"], lead["stage"]) == (str(sales.pk), "New")
    assert lead["stage_id"] == str(sales.stages.get(name="New").pk)
    assert lead["priority"] == "Medium"
    assert lead["tags"] == []
    for optional in ["email", "company", "city", "deal_value", "notes", "assigned_to"]:
        assert lead[optional] is None
    assert uuid.UUID(lead["id"]).version == 4
    assert lead["created_at"].endswith("Z")
    assert lead["updated_at"].endswith("Z")
    assert response["Location"] == f"/api/v1/leads/{lead['id']}"


def test_email_alone_is_enough(admin_api):
    response = admin_api.post_json(LEADS, {"name": "Mail Only", "email": "m@example.com"})
    assert response.status_code == 201
    assert response.json()["data"]["phone"] is None


def test_every_field_round_trips(admin_api, rep):
    body = {
        "name": "Ravi Kumar",
        "email": "Ravi@Example.com",
        "phone": "+91 91234 56789",
        "company": "Kaveri Textiles",
        "city": "Chennai",
        "source": "Facebook Ads",
        "status": "Qualified",
        "priority": "High",
        "tags": ["vip", "callback"],
        "deal_value": 125000.5,
        "notes": "Wants 200 units",
        "assigned_to": "REP@example.com",
    }
    lead = admin_api.post_json(LEADS, body).json()["data"]
    assert {k: lead[k] for k in body} == {**body, "assigned_to": "rep@example.com"}
    assert isinstance(lead["deal_value"], float)


def test_fields_a_client_must_not_set_are_ignored(admin_api):
    forged = {
        "id": "11111111-1111-4111-8111-111111111111",
        "created_at": "2001-01-01T00:00:00Z",
        "updated_at": "2001-01-01T00:00:00Z",
        "phone_e164": "+10000000000",
    }
    lead = admin_api.post_json(LEADS, {"name": "A", "phone": "9876500001", **forged}).json()["data"]
    assert lead["id"] != forged["id"]
    assert not lead["created_at"].startswith("2001")
    assert Lead.objects.get(pk=lead["id"]).phone_e164 == "+919876500001"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "+919876500002"}, "name"),
        ({"name": "   ", "phone": "+919876500002"}, "name"),
        ({"name": "x" * 201, "phone": "+919876500002"}, "name"),
        ({"name": "No contact"}, "phone"),
        ({"name": "Nulls", "phone": None, "email": None}, "phone"),
        ({"name": "Blank", "phone": ""}, "phone"),
        ({"name": "Blank email", "phone": "+919876500002", "email": ""}, "email"),
        ({"name": "A", "phone": "+919876500002", "assigned_to": ""}, "assigned_to"),
        ({"name": "Bad phone", "phone": "12"}, "phone"),
        ({"name": "Bad phone", "phone": "call me"}, "phone"),
        ({"name": "Bad email", "email": "not-an-email"}, "email"),
        ({"name": "S", "phone": "+919876500002", "status": "Open"}, "status"),
        ({"name": "S", "phone": "+919876500002", "status": "new"}, "status"),
        ({"name": "P", "phone": "+919876500002", "priority": "Urgent"}, "priority"),
        ({"name": "T", "phone": "+919876500002", "tags": "vip"}, "tags"),
        ({"name": "T", "phone": "+919876500002", "tags": [1, 2]}, "tags"),
        ({"name": "T", "phone": "+919876500002", "tags": [""]}, "tags"),
        ({"name": "T", "phone": "+919876500002", "tags": ["x"] * 51}, "tags"),
        ({"name": "D", "phone": "+919876500002", "deal_value": -1}, "deal_value"),
        ({"name": "D", "phone": "+919876500002", "deal_value": "lots"}, "deal_value"),
        ({"name": "D", "phone": "+919876500002", "deal_value": 1e15}, "deal_value"),
        ({"name": "D", "phone": "+919876500002", "deal_value": 10.555}, "deal_value"),
        (
            {"name": "A", "phone": "+919876500002", "assigned_to": "ghost@example.com"},
            "assigned_to",
        ),
        ({"name": "A", "phone": "+919876500002", "assigned_to": 42}, "assigned_to"),
        ({"name": "C", "phone": "+919876500002", "company": "c" * 201}, "company"),
        ({"name": "C", "phone": "+919876500002", "source": ""}, "source"),
        ({"name": "N\x00", "phone": "+919876500002"}, "name"),
        ({"name": 42, "phone": "+919876500002"}, "name"),
        ({"name": "P", "phone": 9876500002}, "phone"),
        ({"name": "D", "phone": "+919876500002", "deal_value": "5000"}, "deal_value"),
        ({"name": "D", "phone": "+919876500002", "deal_value": True}, "deal_value"),
        ({"name": "S", "phone": "+919876500002", "status": ["New"]}, "status"),
    ],
)
def test_bad_values_are_400_naming_the_field(admin_api, body, field):
    error = error_of(admin_api.post_json(LEADS, body))
    assert error["code"] == "invalid_request"
    assert error["field"] == field
    assert error["message"]
    assert not Lead.objects.exists()


def test_create_is_one_event_with_who_where_and_what(admin_api):
    lead = admin_api.post_json(LEADS, {"name": "A", "phone": "9876500003"}).json()["data"]
    event = Event.objects.get(lead_id=lead["id"])
    assert event.verb == "lead.created"
    assert (event.subject_type, event.subject_id) == ("lead", lead["id"])
    assert event.channel == "api"
    assert event.api_key == admin_api.api_key
    assert "test key" in event.api_key_label
    assert event.actor_email == "admin@example.com"
    assert event.ip == "127.0.0.1"
    assert event.changes["name"] == [None, "A"]
    assert event.changes["phone"] == [None, "9876500003"]
    assert "company" not in event.changes  # only what the lead holds
    assert event.snapshot == lead
