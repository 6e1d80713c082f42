"""Identical POSTs at the same moment end as one lead: one 201, the rest 200, never a 500.

These go through a real server (pytest-django's live server, a thread per request, each with its
own database connection), so the database's unique constraints and locks do the work. The suite
runs on SQLite and again on PostgreSQL in CI."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from events.models import Event
from leads.models import Lead
from tests.factories import make_key, make_lead

PARALLEL = 12


def post_all_at_once(url: str, key: str, bodies: list[dict]) -> list[requests.Response]:
    barrier = threading.Barrier(len(bodies))

    def post(body):
        session = requests.Session()
        barrier.wait()
        return session.post(url, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


@pytest.fixture
def admin_key(transactional_db, admin_user):
    return make_key(admin_user)[1]


def test_identical_posts_create_exactly_one_lead(live_server, admin_key):
    body = {"name": "Race", "phone": "+91 98765 00000", "email": "race@example.com"}
    responses = post_all_at_once(f"{live_server.url}/api/v1/leads", admin_key, [body] * PARALLEL)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (PARALLEL - 1) + [201], [r.text for r in responses]
    assert len({r.json()["data"]["id"] for r in responses}) == 1
    assert Lead.objects.count() == 1


def test_concurrent_merges_lose_no_tags(live_server, admin_key):
    bodies = [
        {"name": "Tags", "phone": f"{prefix}9876500000", "tags": [f"tag{index}"]}
        for index, prefix in enumerate(["+91 ", "0", ""] * (PARALLEL // 3))
    ]
    responses = post_all_at_once(f"{live_server.url}/api/v1/leads", admin_key, bodies)
    assert sorted(r.status_code for r in responses) == [200] * (PARALLEL - 1) + [201]
    lead = Lead.objects.get()
    assert sorted(lead.tags) == sorted(f"tag{index}" for index in range(PARALLEL))


def test_phone_and_email_races_across_two_leads_never_500(live_server, admin_key):
    bodies = []
    for index in range(PARALLEL):
        if index % 2:
            bodies.append({"name": "P", "phone": "+919876511111", "email": "shared@example.com"})
        else:
            bodies.append({"name": "E", "email": "SHARED@example.com"})
    responses = post_all_at_once(f"{live_server.url}/api/v1/leads", admin_key, bodies)
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert 1 <= Lead.objects.count() <= 2
    assert Lead.objects.filter(email_key="shared@example.com").count() == 1


def test_logging_calls_while_the_lead_is_deleted_never_500s(live_server, admin_key):
    headers = {"Authorization": f"Bearer {admin_key}"}
    for _ in range(3):
        lead = make_lead(name="Doomed", phone="+919876522222")
        call = {"lead_id": str(lead.pk), "call_type": "Inbound", "duration_seconds": 5}
        requests_to_send = [("DELETE", f"/api/v1/leads/{lead.pk}", None)]
        requests_to_send += [("POST", "/api/v1/call-logs", call)] * (PARALLEL - 1)
        barrier = threading.Barrier(PARALLEL)

        def send(request, barrier=barrier):
            method, path, body = request
            session = requests.Session()
            barrier.wait()
            return session.request(
                method, live_server.url + path, json=body, headers=headers, timeout=60
            )

        with ThreadPoolExecutor(PARALLEL) as pool:
            responses = list(pool.map(send, requests_to_send))
        assert responses[0].status_code == 200
        assert {r.status_code for r in responses[1:]} <= {201, 404}, [r.text for r in responses]
        assert not Lead.objects.filter(pk=lead.pk).exists()


def test_parallel_deletes_of_one_lead_succeed_once(live_server, admin_key):
    lead = make_lead(name="Once", phone="+919876533333")
    url = f"{live_server.url}/api/v1/leads/{lead.pk}"
    barrier = threading.Barrier(6)

    def delete(_):
        session = requests.Session()
        barrier.wait()
        return session.delete(url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=60)

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(r.status_code for r in pool.map(delete, range(6)))
    assert statuses == [200, 404, 404, 404, 404, 404]
    assert Event.objects.filter(verb="lead.deleted", subject_id=str(lead.pk)).count() == 1


def test_a_lead_created_while_a_bulk_import_runs_is_merged_not_lost(transactional_db, admin_user):
    """A bulk import writes its new leads together. When another request creates one of
    those phones between the import's check and its write, the database refuses the
    import's write; the import then goes lead by lead: that item merges into the lead just
    created (200) and every other item is still created."""
    from django.db import connection, transaction

    from events.models import Channel
    from events.services import Actor
    from leads.services import MergePolicy, lead_upsert, lead_upsert_many

    actor = Actor(user=admin_user, channel=Channel.API)
    inserted, release = threading.Event(), threading.Event()

    def meanwhile():
        try:
            with transaction.atomic():
                lead_upsert(actor=actor, fields={"name": "Meanwhile", "phone": "+919800000002"})
                inserted.set()
                release.wait(10)  # holds its insert until the import is writing
        finally:
            connection.close()

    other = threading.Thread(target=meanwhile)
    other.start()
    assert inserted.wait(10)
    items = {
        index: {"name": f"Import {index}", "phone": f"+91980000000{index}"} for index in range(1, 4)
    }
    threading.Timer(1.0, release.set).start()  # the import is blocked on the insert by then
    results = lead_upsert_many(actor=actor, items=items, merge=MergePolicy.UPDATE)
    other.join()

    assert {index: result.created for index, result in results.items()} == {
        1: True,
        2: False,
        3: True,
    }
    assert Lead.objects.count() == 3
    assert Lead.objects.get(phone_e164="+919800000002").name == "Import 2"  # merged (update)
    assert Event.objects.filter(verb="lead.created").count() == 3
    assert Event.objects.filter(verb="lead.merged").count() == 1
