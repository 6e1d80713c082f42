"""The lead counts (leads.tally) always equal counting the leads table: after creates, merges,
bulk imports, edits of every counted field, moves, deletes, Django-admin edits and a user's
deletion; on PostgreSQL also with writers in parallel. And the list's total reads them."""

import datetime as dt
import io
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import requests
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict, NotFound
from events.models import Channel
from events.services import Actor
from leads import tally
from leads.listing import LeadFilter
from leads.models import Lead, LeadTally
from leads.services import (
    MergePolicy,
    lead_delete,
    lead_move,
    lead_update,
    lead_upsert,
    lead_upsert_many,
)
from pipelines.models import Pipeline
from tests.factories import make_key, make_lead, make_user

LEADS = "/api/v1/leads"


def assert_counts_match() -> None:
    assert tally.kept() == {
        cell: total for cell, total in tally.cube(Lead).items() if total != [0, 0]
    }


@pytest.mark.django_db
def test_every_kind_of_change_keeps_the_counts_equal_to_the_leads(admin_user, rep, other_rep):
    admin = Actor(user=admin_user, channel=Channel.API)
    sales = Pipeline.objects.get(is_default=True)
    won = sales.stages.get(name="Won")
    rng = random.Random(7)
    created = []
    for index in range(12):
        fields = {
            "name": f"L{index}", "phone": f"+9198000001{index:02d}",
            "source": rng.choice(["IVR", "Web"]), "status": rng.choice(["New", "Qualified"]),
            "priority": rng.choice(["Low", "High"]), "deal_value": rng.choice([None, 100, 250.5]),
            "assigned_to": rng.choice([None, rep, other_rep]),
        }  # fmt: skip
        created.append(lead_upsert(actor=admin, fields=fields).lead)
    assert_counts_match()
    # Merges (update and fill_empty), a bulk import with a merge in it.
    lead_upsert(actor=admin, fields={"name": "M", "phone": "+919800000100", "status": "Won"})
    lead_upsert(
        actor=admin,
        fields={"name": "M", "phone": "+919800000101", "deal_value": 999},
        merge=MergePolicy.FILL_EMPTY,
    )
    items = {
        n: {"name": f"B{n}", "phone": f"+9197000002{n:02d}", "source": "Bulk"} for n in range(5)
    }
    items[5] = {"name": "B-merge", "phone": "+919800000102", "priority": "Low"}
    lead_upsert_many(actor=admin, items=items)
    assert_counts_match()
    # Edits of every counted field, a move, a delete.
    lead = created[3]
    lead_update(actor=admin, lead=lead, fields={"source": "Referral", "priority": "Medium"})
    lead_update(actor=admin, lead=lead, fields={"assigned_to": other_rep, "deal_value": 5})
    lead_update(actor=admin, lead=lead, fields={"assigned_to": None, "deal_value": None})
    lead_move(actor=admin, lead=created[4], stage_id=won.pk)
    lead_delete(actor=admin, lead=created[5])
    assert_counts_match()
    # The Django admin, and a user deleted (their leads become nobody's in the database).
    client = Client()
    client.force_login(admin_user)
    form = {
        "name": "Edited", "phone": created[6].phone, "email": "", "source": "Admin",
        "status": "Lost", "priority": "High", "tags": "[]",
    }  # fmt: skip
    response = client.post(reverse("admin:leads_lead_change", args=[created[6].pk]), form)
    assert response.status_code == 302
    client.post(reverse("admin:leads_lead_delete", args=[created[7].pk]), {"post": "yes"})
    rep.delete()
    assert_counts_match()


@pytest.mark.django_db
def test_rebuilding_gives_the_same_cells(admin_user, rep):
    admin = Actor(user=admin_user, channel=Channel.API)
    for index in range(6):
        fields = {"name": f"L{index}", "phone": f"+9198000003{index:02d}", "assigned_to": rep}
        lead_upsert(actor=admin, fields=fields)
    before = tally.kept()
    Lead.objects.update(source="Moved")  # a bulk update, which counts nothing…
    call_command("rebuild_lead_tally", stdout=io.StringIO())  # …until rebuilt
    assert tally.kept() != before
    assert_counts_match()
    assert LeadTally.objects.filter(shard=0).count() == LeadTally.objects.count()


@pytest.mark.django_db
def test_a_day_of_leads_at_the_largest_deal_value_fits_its_cell(admin_api):
    """A cell sums a day's deal values: 101 leads at the largest one a lead takes need more
    digits than one lead (PostgreSQL refused the rebuild: numeric field overflow)."""
    largest = Decimal("999999999999.99")
    for _ in range(101):
        make_lead(deal_value=largest)
    call_command("rebuild_lead_tally", stdout=io.StringIO())  # the whole day in one cell
    assert_counts_match()
    summary = admin_api.get("/api/v1/analytics/summary").json()["data"]
    assert summary["leads"] == 101
    # (SQLite keeps decimals as binary floats: off by a few paise at 10^14.)
    assert summary["open_value"] == pytest.approx(float(101 * largest), abs=0.05)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "New"},
        {"status": "New", "source": "IVR"},
        {"priority": "High", "assigned_to": "rep@example.com"},
        {"from_date": "2026-01-01", "to_date": "2026-01-31"},
        {"from_date": "2025-01-01"},
        {"assigned_to": "nobody@example.com"},
    ],
)
@pytest.mark.parametrize("who", ["admin_user", "rep"])
def test_the_lists_total_is_read_from_the_counts_and_equals_a_real_count(
    client_for, request, rep, who, params
):
    rng = random.Random(3)
    stages = list(Pipeline.objects.get(is_default=True).stages.all())
    now = timezone.now()
    for index in range(40):
        make_lead(
            name=f"L{index}", created_at=now - dt.timedelta(hours=19 * index),
            source=rng.choice(["IVR", "Web"]), priority=rng.choice(["High", "Low"]),
            assigned_to=rng.choice([None, rep]), stage=rng.choice(stages),
        )  # fmt: skip
    user = request.getfixturevalue(who)
    expected = LeadFilter(QueryDict(urlencode(params)), queryset=Lead.objects.visible_to(user))
    assert expected.is_valid()
    with CaptureQueriesContext(connection) as queries:
        response = client_for(user).get(LEADS, params)
    assert response.json()["pagination"]["total"] == expected.qs.count()
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "leads_leadtally" in sql
    assert "COUNT(*)" not in sql


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers: PostgreSQL")
def test_parallel_writers_keep_the_counts_exact(admin_user):
    reps = [make_user(f"r{n}@example.com") for n in range(3)]
    admin = Actor(user=admin_user, channel=Channel.API)
    sales = Pipeline.objects.get(is_default=True)
    stages = list(sales.stages.all())
    barrier = threading.Barrier(6)

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait(10)
            for step in range(25):
                phone = f"+91970{rng.randrange(40):07d}"  # collisions: merges
                fields = {
                    "name": f"W{seed}-{step}", "phone": phone, "source": rng.choice(["IVR", "Web"]),
                    "status": rng.choice(["New", "Won", "Lost"]),
                    "assigned_to": rng.choice([None, *reps]), "deal_value": rng.choice([None, 10]),
                }  # fmt: skip
                lead = lead_upsert(actor=admin, fields=fields).lead
                action = rng.random()
                if action < 0.3:
                    lead_move(actor=admin, lead=lead, stage_id=rng.choice(stages).pk)
                elif action < 0.4:
                    lead_delete(actor=admin, lead=lead)
                elif action < 0.6:
                    lead_update(actor=admin, lead=lead, fields={"priority": "High"})
        except NotFound:  # a lead another writer deleted meanwhile: fine
            pass
        except Conflict:  # three creates in a row lost to other writers' churn: a 409, fine
            pass
        finally:
            connection.close()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(writer, range(6)))
    assert Lead.objects.exists()
    assert_counts_match()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers: PostgreSQL")
def test_parallel_bulk_merges_under_idempotency_keys_neither_deadlock_nor_drift(
    live_server, transactional_db, admin_user
):
    """Each keyed bulk request is one transaction saving many leads: its count changes must be
    written as one statement, or two such requests lock a day's shared cells in opposite
    orders and deadlock (found: 25 of 36 answered 500)."""
    raw = make_key(admin_user, rate_limit=10_000)[1]
    actor = Actor(user=admin_user, channel=Channel.API)
    for index in range(30):
        lead_upsert(actor=actor, fields={"name": f"L{index}", "phone": f"+9198000005{index:02d}"})
    barrier = threading.Barrier(6)

    def client(seed: int) -> list[int]:
        rng = random.Random(seed)
        session = requests.Session()
        statuses = []
        barrier.wait(10)
        for round_ in range(5):
            leads = [
                {"name": "M", "phone": f"+9198000005{n:02d}",
                 "priority": rng.choice(["Low", "High"]), "source": rng.choice(["A", "B"])}
                for n in rng.sample(range(30), 10)
            ]  # fmt: skip
            headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": f"k-{seed}-{round_}"}
            response = session.post(
                f"{live_server.url}{LEADS}/bulk", json={"leads": leads}, headers=headers, timeout=60
            )
            statuses.append(response.status_code)
        return statuses

    with ThreadPoolExecutor(6) as pool:
        statuses = [status for found in pool.map(client, range(6)) for status in found]
    assert statuses == [200] * 30
    assert_counts_match()


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_leads_that_exist(rep):
    from django.db.migrations.executor import MigrationExecutor

    before = [("leads", "0010_furthest_stage")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("leads", "Lead")
        stages = list(Pipeline.objects.get(is_default=True).stages.all())
        for index, stage in enumerate(stages):
            phone = f"+9198000007{index:02d}"
            old.objects.create(
                name=f"L{index}", phone=phone, phone_e164=phone, status=stage.status,
                stage_id=stage.pk, furthest_stage_id=stage.pk, assigned_to_id=rep.pk,
                source="IVR",
            )  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert Lead.objects.count() == len(stages)
    assert (
        tally.kept()
        == {cell: total for cell, total in tally.cube(Lead).items() if total != [0, 0]}
        != {}
    )
    # And back (the funnel's cells go, 0010's unique constraint fits again), and forward.
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert_counts_match()
