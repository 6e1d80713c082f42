"""POST /api/v1/leads/bulk through HTTP, as issue 10 (point 9 and its Details) says it answers:
1–100 lead bodies, each validated and created or merged as a single POST would be, in its own
transaction; one result per lead in input order, and a summary."""

import json
from collections import Counter

import pytest

from events.models import Event
from leads.models import Lead, Note
from tests.factories import make_lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"
BULK = "/api/v1/leads/bulk"
LEAD_FIELDS = {
    "id", "name", "email", "phone", "company", "city", "source", "status", "pipeline_id",
    "stage_id", "stage", "priority", "tags", "deal_value", "notes", "assigned_to", "created_at",
    "updated_at",
}  # fmt: skip


def error_of(response, status=400):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


def bulk(api, leads, *, merge: str | None = None, **extra):
    path = f"{BULK}?merge={merge}" if merge else BULK
    response = api.post_json(path, {"leads": leads}, **extra)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"data", "summary"}
    assert [item["index"] for item in body["data"]] == list(range(len(leads)))
    return body


def statuses(body) -> list[int]:
    return [item["status"] for item in body["data"]]


def lead_body(number: int, **fields) -> dict:
    return {"name": f"Lead {number}", "phone": f"+91 98700 {number:05d}", **fields}


# --- The request ------------------------------------------------------------------------------


def test_leads_are_created_and_answered_in_input_order(admin_api):
    leads = [lead_body(1), {"name": "Mail Only", "email": "m@example.com"}, lead_body(3)]
    body = bulk(admin_api, leads)
    assert statuses(body) == [201, 201, 201]
    assert body["summary"] == {"created": 3, "merged": 0, "failed": 0}
    for item, sent in zip(body["data"], leads, strict=True):
        assert set(item) == {"index", "status", "data"}
        assert set(item["data"]) == LEAD_FIELDS
        assert item["data"]["name"] == sent["name"]
    names = [item["data"]["name"] for item in body["data"]]
    assert names == ["Lead 1", "Mail Only", "Lead 3"]
    assert Lead.objects.count() == 3


def test_each_result_is_the_lead_as_a_following_get_shows_it(admin_api):
    body = bulk(admin_api, [lead_body(1, tags=["vip"], deal_value=1500.5, city="Pune")])
    (item,) = body["data"]
    assert admin_api.get(f"{LEADS}/{item['data']['id']}").json()["data"] == item["data"]


def test_a_hundred_leads_is_the_most(admin_api):
    body = bulk(admin_api, [lead_body(number) for number in range(100)])
    assert body["summary"] == {"created": 100, "merged": 0, "failed": 0}
    assert Lead.objects.count() == 100


@pytest.mark.parametrize(
    "payload",
    [
        {"leads": []},
        {"leads": [lead_body(number) for number in range(101)]},
        {},
        {"leads": None},
        {"leads": {"name": "Not a list", "phone": "+919870000001"}},
        {"leads": "many"},
        {"items": [lead_body(1)]},
    ],
    ids=["empty", "101", "missing", "null", "object", "string", "misnamed"],
)
def test_anything_but_1_to_100_leads_is_a_400_naming_leads(admin_api, payload):
    error = error_of(admin_api.post_json(BULK, payload))
    assert error["code"] == "invalid_request"
    assert error["field"] == "leads"
    assert error["message"]
    assert not Lead.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(admin_api):
    error = error_of(admin_api.post_json(BULK, [lead_body(1)]))
    assert error["code"] == "invalid_request"
    assert not Lead.objects.exists()


@pytest.mark.parametrize("item", ["Lead 2", 2, [lead_body(2)], True, None])
def test_an_item_that_is_not_an_object_fails_on_its_own(admin_api, item):
    body = bulk(admin_api, [lead_body(1), item, lead_body(3)])
    assert statuses(body) == [201, 400, 201]
    failed = body["data"][1]
    assert set(failed) == {"index", "status", "error"}
    assert failed["error"]["code"] == "invalid_request"
    assert failed["error"]["message"]
    assert body["summary"] == {"created": 2, "merged": 0, "failed": 1}
    assert Lead.objects.count() == 2


@pytest.mark.parametrize(
    "item",
    [
        {"phone": "+919876500002"},
        {"name": "   ", "phone": "+919876500002"},
        {"name": "No contact"},
        {"name": "Nulls", "phone": None, "email": None},
        {"name": "Bad phone", "phone": "call me"},
        {"name": "Bad email", "email": "not-an-email"},
        {"name": "S", "phone": "+919876500002", "status": "Open"},
        {"name": "P", "phone": "+919876500002", "priority": "Urgent"},
        {"name": "T", "phone": "+919876500002", "tags": "vip"},
        {"name": "T", "phone": "+919876500002", "tags": ["x"] * 51},
        {"name": "D", "phone": "+919876500002", "deal_value": -1},
        {"name": "D", "phone": "+919876500002", "deal_value": "5000"},
        {"name": "A", "phone": "+919876500002", "assigned_to": "ghost@example.com"},
        {"name": 42, "phone": "+919876500002"},
        {"name": "N\x00", "phone": "+919876500002"},
        {"name": "S", "phone": "+919876500002", "source": None},
    ],
)
def test_each_item_is_validated_exactly_as_a_single_post(admin_api, item):
    single = admin_api.post_json(LEADS, item)
    assert single.status_code == 400
    body = bulk(admin_api, [item])
    (result,) = body["data"]
    assert result == {"index": 0, "status": 400, "error": single.json()["error"]}
    assert result["error"]["field"]
    assert body["summary"] == {"created": 0, "merged": 0, "failed": 1}
    assert not Lead.objects.exists()


def test_an_unknown_merge_policy_is_a_400_and_nothing_is_written(admin_api):
    error = error_of(admin_api.post_json(f"{BULK}?merge=overwrite", {"leads": [lead_body(1)]}))
    assert (error["code"], error["field"]) == ("invalid_request", "merge")
    assert not Lead.objects.exists()


# --- Merging ----------------------------------------------------------------------------------


def test_a_lead_matching_an_existing_one_is_merged_with_200(admin_api):
    existing = make_lead(name="Asha", phone="+919876543210", city="Pune")
    body = bulk(admin_api, [{"name": "Asha Verma", "phone": "098765-43210", "tags": ["vip"]}])
    (item,) = body["data"]
    assert item["status"] == 200
    assert item["data"]["id"] == str(existing.pk)
    assert (item["data"]["name"], item["data"]["city"]) == ("Asha Verma", "Pune")
    assert body["summary"] == {"created": 0, "merged": 1, "failed": 0}
    assert Lead.objects.count() == 1


def test_a_later_item_matching_an_earlier_one_merges_into_it(admin_api):
    leads = [
        {"name": "Priya", "email": "priya@example.com", "tags": ["web"]},
        lead_body(2),
        {"name": "Priya Sharma", "email": "PRIYA@example.com", "city": "Pune", "tags": ["vip"]},
        {"name": "Priya S.", "phone": "+91 98700 00002", "email": "priya@example.com"},
    ]
    body = bulk(admin_api, leads)
    assert statuses(body) == [201, 201, 200, 200]
    first, second, third, fourth = (item["data"] for item in body["data"])
    assert third["id"] == first["id"]
    assert (third["name"], third["city"], third["tags"]) == ("Priya Sharma", "Pune", ["web", "vip"])
    # Phone matches the second lead, email the first: the phone match wins, as on a single POST.
    assert fourth["id"] == second["id"]
    assert body["summary"] == {"created": 2, "merged": 2, "failed": 0}
    assert Lead.objects.count() == 2


def test_fill_empty_applies_to_every_item(admin_api, rep, other_rep):
    asha = make_lead(
        name="Asha Verma", phone="+919876543210", source="Website", status="Qualified",
        priority="Low", notes="Wants a 2BHK", tags=["site-visit"],
    )  # fmt: skip
    ravi = make_lead(
        name="Ravi Kumar", email="ravi@example.com", source="Referral", assigned_to=other_rep
    )
    placeholder = {
        "source": "Import", "status": "New", "priority": "High", "tags": ["import"],
        "assigned_to": "rep@example.com",
    }  # fmt: skip
    leads = [
        {"name": "Caller 1", "phone": "9876543210", "city": "Pune", **placeholder},
        {"name": "Caller 2", "email": "RAVI@example.com", "company": "Kaveri", **placeholder},
        {"name": "Caller 3", "phone": "+919870000003", **placeholder, "notes": "First contact"},
        {"name": "Caller 1", "phone": "9876543210", "notes": "Called again", **placeholder},
    ]
    body = bulk(admin_api, leads, merge="fill_empty")
    assert statuses(body) == [200, 200, 201, 200]

    asha.refresh_from_db()
    assert (asha.name, asha.source, asha.status, asha.priority) == (
        "Asha Verma", "Website", "Qualified", "Low",
    )  # fmt: skip
    assert (asha.city, asha.notes, asha.tags) == ("Pune", "Wants a 2BHK", ["site-visit", "import"])
    assert asha.assigned_to == rep  # it had nobody
    assert [note.text for note in Note.objects.filter(lead=asha)] == ["Called again"]
    ravi.refresh_from_db()
    assert (ravi.name, ravi.source, ravi.company) == ("Ravi Kumar", "Referral", "Kaveri")
    assert ravi.assigned_to == other_rep  # it had someone
    new = Lead.objects.get(phone_e164="+919870000003")
    assert (new.name, new.source, new.priority, new.notes) == (
        "Caller 3", "Import", "High", "First contact",
    )  # fmt: skip
    assert body["summary"] == {"created": 1, "merged": 3, "failed": 0}


def test_keep_applies_to_every_item(admin_api):
    asha = make_lead(name="Asha Verma", phone="+919876543210", source="Website")
    ravi = make_lead(name="Ravi Kumar", email="ravi@example.com")
    before = {lead.pk: lead.updated_at for lead in (asha, ravi)}
    leads = [
        {"name": "Someone", "phone": "9876543210", "city": "Pune", "tags": ["x"]},
        {"name": "Someone else", "email": "ravi@example.com", "source": "Import"},
        lead_body(3),
    ]
    body = bulk(admin_api, leads, merge="keep")
    assert statuses(body) == [200, 200, 201]
    assert body["data"][0]["data"]["id"] == str(asha.pk)
    assert body["data"][0]["data"]["name"] == "Asha Verma"
    assert body["data"][1]["data"]["name"] == "Ravi Kumar"
    for lead in (asha, ravi):
        lead.refresh_from_db()
        assert lead.updated_at == before[lead.pk]
    assert (asha.name, asha.city, asha.tags) == ("Asha Verma", None, [])
    assert body["summary"] == {"created": 1, "merged": 2, "failed": 0}


# --- Refusals carry their own error -----------------------------------------------------------


def test_a_reps_refused_items_carry_their_own_errors(rep_api, rep, other_rep):
    hidden = make_lead(name="Hidden Customer", phone="+919876500009", assigned_to=other_rep)
    leads = [
        lead_body(1),
        {"name": "Theirs", "phone": "+919870000002", "assigned_to": "rep2@example.com"},
        {"name": "Duplicate", "phone": "098765-00009"},
        {"name": "Mine", "phone": "+919870000004", "assigned_to": "rep@example.com"},
    ]
    body = bulk(rep_api, leads)
    assert statuses(body) == [201, 403, 409, 201]
    forbidden, conflict = body["data"][1]["error"], body["data"][2]["error"]
    assert (forbidden["code"], forbidden["field"]) == ("forbidden", "assigned_to")
    assert conflict["code"] == "conflict"
    # Nothing about the invisible lead: not its name, not which of phone and email matched.
    assert "field" not in conflict
    assert "Hidden" not in conflict["message"]
    assert "data" not in body["data"][2]
    assert body["summary"] == {"created": 2, "merged": 0, "failed": 2}
    created = Lead.objects.filter(name__in=["Lead 1", "Mine"])
    assert {lead.assigned_to for lead in created} == {rep}
    hidden.refresh_from_db()
    assert (hidden.name, hidden.assigned_to) == ("Hidden Customer", other_rep)
    assert not Lead.objects.filter(name__in=["Theirs", "Duplicate"]).exists()


def test_a_failing_item_does_not_undo_the_others(admin_api):
    existing = make_lead(name="Asha", phone="+919876543210")
    leads = [
        lead_body(1),
        {"name": "Asha Verma", "phone": "9876543210"},
        {"name": "Broken", "phone": "+919870000003", "deal_value": -5},
        lead_body(4),
        {"name": "Also broken", "email": "nope"},
    ]
    body = bulk(admin_api, leads)
    assert statuses(body) == [201, 200, 400, 201, 400]
    assert [body["data"][i]["error"]["field"] for i in (2, 4)] == ["deal_value", "email"]
    assert body["summary"] == {"created": 2, "merged": 1, "failed": 2}
    existing.refresh_from_db()
    assert existing.name == "Asha Verma"
    assert set(Lead.objects.values_list("name", flat=True)) == {"Lead 1", "Asha Verma", "Lead 4"}


def test_a_batch_where_every_item_fails_is_still_a_200(admin_api):
    body = bulk(admin_api, [{"name": "No contact"}, {"phone": "+919870000001"}])
    assert statuses(body) == [400, 400]
    assert body["summary"] == {"created": 0, "merged": 0, "failed": 2}


# --- Events -----------------------------------------------------------------------------------


def test_one_event_per_created_or_merged_lead(admin_api):
    existing = make_lead(name="Asha", phone="+919876543210")
    before = set(Event.objects.values_list("pk", flat=True))
    leads = [
        lead_body(1),
        {"name": "Asha Verma", "phone": "9876543210"},
        {"name": "Bad", "phone": "12"},
        {"name": "Lead 1 again", "phone": "+91 98700 00001", "city": "Pune"},
        lead_body(5),
    ]
    body = bulk(admin_api, leads)
    assert statuses(body) == [201, 200, 400, 200, 201]
    first, fifth = body["data"][0]["data"]["id"], body["data"][4]["data"]["id"]
    events = Event.objects.exclude(pk__in=before)
    assert Counter((event.verb, str(event.lead_id)) for event in events) == {
        ("lead.created", first): 1,
        ("lead.merged", str(existing.pk)): 1,
        ("lead.merged", first): 1,
        ("lead.created", fifth): 1,
    }
    for event in events:
        assert (event.channel, event.api_key) == ("api", admin_api.api_key)
    merged = events.get(verb="lead.merged", lead_id=first)
    assert merged.changes["city"] == [None, "Pune"]


# --- Limits: the rate limit, the body size, the permission ------------------------------------


def test_a_bulk_request_counts_once_against_the_rate_limit(admin_user, client_for):
    api = client_for(admin_user, rate_limit=5)
    assert api.get(LEADS)["X-RateLimit-Remaining"] == "4"
    response = api.post_json(BULK, {"leads": [lead_body(number) for number in range(50)]})
    assert response.status_code == 200
    assert response.json()["summary"]["created"] == 50
    assert response["X-RateLimit-Limit"] == "5"
    assert response["X-RateLimit-Remaining"] == "3"
    assert api.get(LEADS)["X-RateLimit-Remaining"] == "2"


def test_over_the_rate_limit_a_bulk_request_is_a_429_and_writes_nothing(admin_user, client_for):
    api = client_for(admin_user, rate_limit=1)
    api.get(LEADS)
    response = api.post_json(BULK, {"leads": [lead_body(1), lead_body(2)]})
    assert error_of(response, 429)["code"] == "rate_limit_exceeded"
    assert not Lead.objects.exists()


def _sized_body(total_bytes: int, items: int = 100) -> str:
    """A valid bulk body of about `total_bytes` (long notes)."""
    notes = "n" * (total_bytes // items - 60)
    body = json.dumps({"leads": [lead_body(number, notes=notes) for number in range(items)]})
    assert abs(len(body) - total_bytes) < 2 * items * 60
    return body


def test_a_body_over_64_kib_and_under_1_mib_is_taken(admin_api):
    body = _sized_body(900 * 1024)
    assert 64 * 1024 < len(body) < 1024 * 1024
    response = admin_api.generic("POST", BULK, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["summary"] == {"created": 100, "merged": 0, "failed": 0}


def test_the_single_create_keeps_its_64_kib_limit(admin_api):
    body = json.dumps(lead_body(1, notes="n" * 100 * 1024))
    response = admin_api.generic("POST", LEADS, body, content_type="application/json")
    assert error_of(response, 413)["code"] == "invalid_request"


def test_a_body_over_1_mib_is_a_413_and_writes_nothing(admin_api):
    body = _sized_body(1024 * 1024 + 20 * 1024)
    assert len(body) > 1024 * 1024
    response = admin_api.generic("POST", BULK, body, content_type="application/json")
    error = error_of(response, 413)
    assert error["code"] == "invalid_request"
    assert str(1024 * 1024) in error["message"]
    assert not Lead.objects.exists()


def test_the_bulk_limit_is_api_max_bulk_body_bytes(admin_api, settings):
    settings.API_MAX_BULK_BODY_BYTES = 4096
    body = _sized_body(6000, items=10)
    response = admin_api.generic("POST", BULK, body, content_type="application/json")
    assert "4096" in error_of(response, 413)["message"]
    small = json.dumps({"leads": [lead_body(1)]})
    response = admin_api.generic("POST", BULK, small, content_type="application/json")
    assert response.status_code == 200


def test_bulk_needs_the_write_permission(admin_user, client_for, anon_api):
    read_only = client_for(admin_user, permissions="read")
    assert error_of(read_only.post_json(BULK, {"leads": [lead_body(1)]}), 403)["code"] == (
        "forbidden"
    )
    assert error_of(anon_api.post_json(BULK, {"leads": [lead_body(1)]}), 401)["code"] == (
        "unauthorized"
    )
    assert not Lead.objects.exists()


def test_a_retry_under_an_idempotency_key_replays_the_whole_batch(admin_api):
    leads = [lead_body(1), {"name": "No contact"}, lead_body(1, city="Pune")]
    first = admin_api.post_json(BULK, {"leads": leads}, HTTP_IDEMPOTENCY_KEY="batch-1")
    events = Event.objects.count()
    again = admin_api.post_json(BULK, {"leads": leads}, HTTP_IDEMPOTENCY_KEY="batch-1")
    assert again.status_code == first.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["summary"] == {"created": 1, "merged": 1, "failed": 1}
    assert Lead.objects.count() == 1
    assert Event.objects.count() == events
