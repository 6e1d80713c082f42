"""Round robin holds under concurrency: leads created at the same moment are routed one after the
other (the rules are locked in the creating transaction), so with four reps, twenty simultaneous
creates give each rep exactly five, never two to one rep while another is due.

Through a real server (pytest-django's live server, a thread per request, each with its own
database connection), as tests/leads/test_race.py does; and straight through the services from
threads. The suite runs on SQLite (one writer at a time) and again on PostgreSQL in CI, where
the row locks do the work; the thread test needs PostgreSQL's concurrent writers."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from events.models import Channel
from events.services import Actor
from leads.models import Lead
from leads.services import lead_upsert
from routing.models import RoutedLead, RuleRep
from tests.factories import make_key, unique_phone

from .conftest import a_rule

PARALLEL = 20


def send_all_at_once(url: str, key: str, bodies: list[dict], headers=None) -> list:
    barrier = threading.Barrier(len(bodies))

    def post(indexed):
        index, body = indexed
        session = requests.Session()
        extra = {"Idempotency-Key": f"fair-{index}"} if headers == "idempotent" else {}
        barrier.wait()
        return session.post(
            url, json=body, headers={"Authorization": f"Bearer {key}", **extra}, timeout=60
        )

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, enumerate(bodies)))


def assert_shared_fairly(reps, total: int) -> None:
    per_rep = Counter(Lead.objects.values_list("assigned_to__email", flat=True))
    assert per_rep == {rep.email: total // len(reps) for rep in reps}
    assert sorted(RuleRep.objects.values_list("lead_count", flat=True)) == [total // len(reps)] * 4
    # Every turn was taken once: no two leads were given the same turn.
    assert sorted(RuleRep.objects.values_list("last_turn", flat=True)) == list(
        range(total - len(reps) + 1, total + 1)
    )
    assert RoutedLead.objects.count() == total


@pytest.fixture
def admin_key(transactional_db, admin_user):
    return make_key(admin_user, rate_limit=1000)[1]


def test_twenty_simultaneous_api_creates_give_four_reps_five_each(live_server, admin_key, reps):
    a_rule("Everyone", reps)
    bodies = [{"name": f"Rush {n}", "phone": unique_phone(), "source": "IVR"} for n in range(20)]
    responses = send_all_at_once(f"{live_server.url}/api/v1/leads", admin_key, bodies)
    assert [r.status_code for r in responses] == [201] * PARALLEL, [r.text for r in responses]
    assert_shared_fairly(reps, PARALLEL)


def test_simultaneous_bulk_creates_in_one_transaction_each_share_fairly(
    live_server, admin_key, reps
):
    """Bulks under an Idempotency-Key run in one transaction each, routing their leads as they
    go: they wait for each other on the rules, never deadlock, and still share evenly."""
    a_rule("Everyone", reps)
    bodies = [
        {"leads": [{"name": f"Bulk {b}.{n}", "phone": unique_phone()} for n in range(5)]}
        for b in range(4)
    ]
    responses = send_all_at_once(
        f"{live_server.url}/api/v1/leads/bulk", admin_key, bodies, headers="idempotent"
    )
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    assert_shared_fairly(reps, 20)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_creating_at_once_through_the_service_share_fairly(admin_user, reps):
    a_rule("Everyone", reps)
    actor = Actor(user=admin_user, channel=Channel.IMPORT)
    barrier = threading.Barrier(PARALLEL)

    def create(index):
        try:
            barrier.wait()
            fields = {"name": f"Thread {index}", "phone": unique_phone()}
            return lead_upsert(actor=actor, fields=fields).lead.assigned_to.email
        finally:
            connection.close()

    with ThreadPoolExecutor(PARALLEL) as pool:
        assignees = list(pool.map(create, range(PARALLEL)))
    assert Counter(assignees) == {rep.email: 5 for rep in reps}
    assert_shared_fairly(reps, PARALLEL)
