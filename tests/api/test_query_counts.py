"""Every API operation runs a fixed number of queries, whatever the data: more leads, tags,
calls or filters never mean more queries (and a bulk request costs the same per lead)."""

import json

import pytest
from django.db import connection

from tests.factories import make_call, make_lead, unique_phone

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads"


@pytest.fixture
def api(admin_api):
    admin_api.get(LEADS)  # the key's use of the minute is recorded once (one more write)
    return admin_api


@pytest.fixture
def busy_lead(admin_user):
    lead = make_lead(name="Busy", tags=[f"t{n}" for n in range(20)], assigned_to=admin_user)
    for _ in range(30):
        make_call(lead)
    return lead


def count(django_assert_max_num_queries, limit: int, send, expected_status: int):
    with django_assert_max_num_queries(limit) as captured:
        response = send()
    assert response.status_code == expected_status, response.content
    return len(captured)


@pytest.mark.parametrize(
    "params",
    [{}, {"phone": "09800000001"}, {"email": "x@example.com"}, {"q": "busy"},
     {"tag": ["t1", "t2"]}, {"updated_since": "2000-01-01T00:00:00Z", "sort": "updated_at"},
     {"status": "all", "sort": "-name", "limit": 500}],
)  # fmt: skip
def test_listing_leads_is_three_queries(api, busy_lead, django_assert_max_num_queries, params):
    for index in range(40):
        make_lead(name=f"busy {index}")
    with django_assert_max_num_queries(3):  # the key, the count, the page (none past the end)
        assert api.get(LEADS, params).status_code == 200


def test_writes_to_one_lead(api, busy_lead, django_assert_max_num_queries):
    url = f"{LEADS}/{busy_lead.pk}"
    # The key, then in the transaction: lock the lead (its id, then the row with its assignee
    # and stage: core.locking), save it, record the event (+ savepoints).
    count(
        django_assert_max_num_queries,
        9,
        lambda: api.patch(url, {"city": "Pune"}, format="json"),
        200,
    )
    # A PUT also reads the pipeline's stages (the lead goes back to its New stage), and moves
    # the lead's count (its source goes back to API: leads.tally) and its calls' counts (read
    # grouped, then moved in one statement: calls.tally).
    count(django_assert_max_num_queries, 13, lambda: api.put(
        url, {"name": "Busy", "phone": busy_lead.phone}, format="json"), 200)  # fmt: skip
    count(
        django_assert_max_num_queries, 9, lambda: api.post_json(f"{url}/tags", {"tags": ["x"]}), 200
    )
    count(django_assert_max_num_queries, 9, lambda: api.delete(f"{url}/tags/x"), 200)


def test_call_writes(api, busy_lead, django_assert_max_num_queries):
    # Each change also asks which webhook subscriptions listen (webhooks.outbox.fan_out), and
    # counts the call (calls.tally).
    body = {"call_type": "Inbound", "duration_seconds": 0, "external_id": "c-1"}
    by_lead = {**body, "lead_id": str(busy_lead.pk)}
    # (a missed inbound call also makes a call-back task, in a savepoint: tasks.services)
    count(
        django_assert_max_num_queries, 15, lambda: api.post_json("/api/v1/call-logs", by_lead), 201
    )
    # (a report of an existing call locks its lead, then the call)
    count(django_assert_max_num_queries, 9, lambda: api.post_json(
        "/api/v1/call-logs", {**by_lead, "duration_seconds": 30}), 200)  # fmt: skip
    by_phone = {**body, "external_id": "c-2", "phone": unique_phone()}  # a new lead too
    # (two changes: the lead and the call; the lead's stage is read and held, the lead counted,
    # the call counted; and the missed call's call-back task)
    count(
        django_assert_max_num_queries, 24, lambda: api.post_json("/api/v1/call-logs", by_phone), 201
    )
    call = make_call(busy_lead)
    # (an edit locks the call's lead, then the call: what the call is counted by stays put)
    count(django_assert_max_num_queries, 10, lambda: api.patch(
        f"/api/v1/call-logs/{call.pk}", {"notes": "x"}, format="json"), 200)  # fmt: skip


def test_an_idempotent_write_costs_a_few_queries_more_and_a_replay_few(
    api, django_assert_max_num_queries
):
    body = {"name": "A", "phone": unique_phone()}
    # (an unassigned lead also reads the assignment rules, locked: routing.services)
    plain = count(django_assert_max_num_queries, 11, lambda: api.post_json(LEADS, body), 201)
    keyed = {"name": "B", "phone": unique_phone()}
    # On PostgreSQL, taking the key's advisory lock and letting it go (api.idempotency).
    lock = 2 if connection.vendor == "postgresql" else 0
    # The claim and the stored response, and the transaction around the write (here, inside
    # the test's own transaction, each atomic block is a savepoint pair).
    count(
        django_assert_max_num_queries,
        plain + 6 + lock,
        lambda: api.post_json(LEADS, keyed, HTTP_IDEMPOTENCY_KEY="qc"),
        201,
    )
    # A replay: the key, the claim that fails (a savepoint, rolled back and released), the
    # stored record.
    count(
        django_assert_max_num_queries,
        6 + lock,
        lambda: api.post_json(LEADS, keyed, HTTP_IDEMPOTENCY_KEY="qc"),
        201,
    )


@pytest.mark.parametrize("size", [1, 10, 40])
def test_bulk_costs_the_same_per_lead(api, django_assert_max_num_queries, size):
    leads = [{"name": f"L{n}", "phone": unique_phone()} for n in range(size)]
    per_lead = 6  # a transaction, the duplicate check, the insert, the event
    # Once per request: the key, the pipeline's stages, holding them for the write, the
    # assignment rules (routing), and (in one transaction, as each test is) locking the leads
    # it may merge into, in one order.
    count(django_assert_max_num_queries, 6 + per_lead * size,
          lambda: api.post(f"{LEADS}/bulk", json.dumps({"leads": leads}),
                           content_type="application/json"), 200)  # fmt: skip
