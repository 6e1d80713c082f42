"""The call counts (calls.tally) always equal counting the calls table: after calls are logged,
reported again by external_id, edited and deleted (API, services, Django admin), and after their
lead is reassigned, given another source, moved to another pipeline, merged into or deleted,
and its assignee deleted; on PostgreSQL also with writers in parallel. The call list's total
and the analytics' calls read them; a migration counts the calls that exist."""

import datetime as dt
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls import tally
from calls.models import CallLog, CallTally
from calls.services import call_delete, call_log, call_record, call_update
from core.errors import Conflict, NotFound
from events.models import Channel
from events.services import Actor
from leads.bulk import leads_bulk_delete, leads_bulk_update
from leads.models import Lead, LeadTally
from leads.services import MergePolicy, lead_delete, lead_move, lead_update, lead_upsert
from pipelines.models import Pipeline
from pipelines.services import pipeline_create
from tests.factories import make_call, make_lead, make_user

CALLS = "/api/v1/call-logs"


def assert_counts_match() -> None:
    assert tally.kept() == tally.cube(CallLog)


def second_pipeline() -> Pipeline:
    return pipeline_create(
        actor=Actor.system(),
        fields={"name": "Partners"},
        stages=[{"name": "Intro", "status": "New"}, {"name": "Signed", "status": "Won"}],
    )


@pytest.mark.django_db
def test_every_kind_of_change_keeps_the_counts_equal_to_the_calls(admin_user, rep, other_rep):
    admin = Actor(user=admin_user, channel=Channel.API)
    partners = second_pipeline()
    rng = random.Random(11)
    leads = []
    for index in range(8):
        fields = {
            "name": f"L{index}", "phone": f"+9198100001{index:02d}",
            "source": rng.choice(["IVR", "Web"]), "assigned_to": rng.choice([None, rep, other_rep]),
        }  # fmt: skip
        leads.append(lead_upsert(actor=admin, fields=fields).lead)
    now = timezone.now()
    calls = []
    for index in range(30):
        calls.append(
            call_log(
                actor=admin,
                lead_id=rng.choice(leads).pk,
                call_type=rng.choice(["Inbound", "Outbound"]),
                duration_seconds=rng.choice([0, 30, 300]),
                called_at=now - dt.timedelta(hours=13 * index),
            )
        )
    assert CallTally.objects.exists()
    assert_counts_match()
    # A dialer's call by phone and external id, reported again; edits; a delete.
    fields = {"call_type": "Inbound", "duration_seconds": 0}
    call_record(actor=admin, fields=fields, phone="+919810000999", external_id="X1")
    call_record(
        actor=admin, fields={"duration_seconds": 40, "outcome": "Completed"},
        phone="+919810000999", external_id="X1",
    )  # fmt: skip
    call_update(actor=admin, call=calls[0], fields={"outcome": "Busy"})
    call_update(actor=admin, call=calls[1], fields={"called_at": now - dt.timedelta(days=40)})
    call_delete(actor=admin, call=calls[2])
    assert_counts_match()
    # The lead's side: reassigned, a new source, another pipeline, merged into, deleted.
    lead_update(actor=admin, lead=leads[0], fields={"assigned_to": other_rep})
    lead_update(actor=admin, lead=leads[1], fields={"source": "Referral", "assigned_to": None})
    lead_move(actor=admin, lead=leads[2], stage_id=partners.stages.get(name="Signed").pk)
    lead_update(actor=admin, lead=leads[3], fields={"priority": "High"})  # (no call moves)
    lead_upsert(
        actor=admin,
        fields={"name": "M", "phone": leads[4].phone, "source": "Walk-in", "assigned_to": rep},
        merge=MergePolicy.UPDATE,
    )
    lead_delete(actor=admin, lead=leads[5])
    assert_counts_match()
    # The Django admin: a call edited, a call deleted, a lead deleted with its calls.
    client = Client()
    client.force_login(admin_user)
    call = CallLog.objects.filter(lead=leads[6]).first() or make_call(leads[6])
    form = {
        "call_type": call.call_type, "duration_seconds": 5, "outcome": "No Answer",
        "notes": "", "called_at_0": "2026-01-05", "called_at_1": "10:00:00", "recording_url": "",
    }  # fmt: skip
    response = client.post(reverse("admin:calls_calllog_change", args=[call.pk]), form)
    assert response.status_code == 302, response.content[:2000]
    assert CallLog.objects.get(pk=call.pk).outcome == "No Answer"
    other = CallLog.objects.exclude(pk=call.pk).first()
    client.post(reverse("admin:calls_calllog_delete", args=[other.pk]), {"post": "yes"})
    client.post(reverse("admin:leads_lead_delete", args=[leads[7].pk]), {"post": "yes"})
    assert not CallLog.objects.filter(pk=other.pk).exists()
    assert_counts_match()
    # A user deleted: their leads' calls become nobody's.
    assert CallLog.objects.filter(lead__assigned_to=other_rep).exists()
    other_rep.delete()
    assert_counts_match()


@pytest.mark.django_db
def test_rebuilding_gives_the_same_cells(admin_user, rep):
    lead = make_lead(assigned_to=rep, source="IVR")
    for index in range(5):
        make_call(lead, outcome="Missed" if index % 2 else "Completed")
    before = tally.kept()
    CallLog.objects.update(outcome="Busy")  # a bulk update, which counts nothing…
    from django.core.management import call_command

    call_command("rebuild_call_tally", verbosity=0)  # …until rebuilt
    assert tally.kept() != before
    assert_counts_match()
    assert CallTally.objects.filter(shard=0).count() == CallTally.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"call_type": "Outbound"},
        {"outcome": "Missed"},
        {"call_type": "Inbound", "outcome": "Completed"},
        {"from_date": "2026-01-01", "to_date": "2026-01-31"},
        {"from_date": "2025-01-01"},
    ],
)
@pytest.mark.parametrize("who", ["admin_user", "rep"])
def test_the_call_lists_total_is_read_from_the_counts_and_equals_a_real_count(
    client_for, request, rep, other_rep, who, params
):
    rng = random.Random(5)
    leads = [make_lead(assigned_to=rng.choice([None, rep, other_rep])) for _ in range(6)]
    now = timezone.now()
    for index in range(40):
        make_call(
            rng.choice(leads), called_at=now - dt.timedelta(hours=17 * index),
            call_type=rng.choice(["Inbound", "Outbound"]),
            outcome=rng.choice(["Completed", "Missed", "Busy"]),
        )  # fmt: skip
    user = request.getfixturevalue(who)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(user).get(CALLS, {**params, "limit": 500})
    assert response.status_code == 200
    body = response.json()
    # The total equals what the same filters list (with limit 500, every row is on the page).
    assert body["pagination"]["total"] == len(body["data"])
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "calls_calltally" in sql
    assert "COUNT(*)" not in sql


@pytest.mark.django_db
def test_a_lead_id_filter_counts_its_calls_directly(client_for, admin_user):
    lead, other = make_lead(), make_lead()
    for _ in range(3):
        make_call(lead)
    make_call(other)
    response = client_for(admin_user).get(CALLS, {"lead_id": str(lead.pk)})
    assert response.json()["pagination"]["total"] == 3


@pytest.mark.django_db
def test_analytics_calls_are_read_from_the_counts_and_equal_a_real_count(
    client_for, admin_user, rep
):
    partners = second_pipeline()
    sales = Pipeline.objects.get(is_default=True)
    rng = random.Random(9)
    leads = [
        make_lead(
            assigned_to=rng.choice([None, rep]),
            source=rng.choice(["IVR", "Web"]),
            stage=rng.choice([sales.stages.first(), partners.stages.first()]),
        )
        for _ in range(8)
    ]
    now = timezone.now()
    for index in range(50):
        make_call(
            rng.choice(leads), called_at=now - dt.timedelta(hours=11 * index),
            outcome=rng.choice(["Completed", "Missed", "No Answer", "Busy"]),
        )  # fmt: skip
    cases = [
        {}, {"source": "IVR"}, {"pipeline_id": str(partners.pk)}, {"assigned_to": rep.email},
        {"source": "Web", "pipeline_id": str(partners.pk), "from_date": "2025-06-01"},
    ]  # fmt: skip
    for user in (admin_user, rep):
        for params in cases:
            with CaptureQueriesContext(connection) as queries:
                response = client_for(user).get("/api/v1/analytics/summary", params)
            data = response.json()["data"]
            start = dt.datetime.fromisoformat(data["from_date"]).replace(tzinfo=dt.UTC)
            calls = CallLog.objects.visible_to(user).filter(
                called_at__gte=start - dt.timedelta(hours=5, minutes=30),
                called_at__lt=dt.datetime.fromisoformat(data["to_date"]).replace(tzinfo=dt.UTC)
                + dt.timedelta(days=1)
                - dt.timedelta(hours=5, minutes=30),
            )  # (IST midnights)
            if "source" in params:
                calls = calls.filter(lead__source=params["source"])
            if "pipeline_id" in params:
                calls = calls.filter(lead__stage__pipeline_id=params["pipeline_id"])
            if "assigned_to" in params:
                calls = calls.filter(lead__assigned_to__email=params["assigned_to"])
            missed = calls.filter(outcome__in=["Missed", "No Answer"]).count()
            assert (data["calls"], data["missed_calls"]) == (calls.count(), missed), params
            sql = " ".join(query["sql"] for query in queries.captured_queries)
            assert "calls_calllog" not in sql


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_calls_that_exist(rep):
    before = [("calls", "0002_dialer_ids_and_recordings")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        lead = make_lead(assigned_to=rep, source="IVR")
        old = executor.loader.project_state(before).apps.get_model("calls", "CallLog")
        for index in range(4):
            old.objects.create(
                lead_id=lead.pk, call_type="Inbound", duration_seconds=index,
                outcome="Missed" if index else "Completed",
            )  # fmt: skip
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert CallLog.objects.count() == 4
    assert tally.kept() == tally.cube(CallLog) != {}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers: PostgreSQL")
def test_parallel_writers_keep_the_call_counts_exact(admin_user):
    reps = [make_user(f"r{n}@example.com") for n in range(3)]
    admin = Actor(user=admin_user, channel=Channel.API)
    partners = second_pipeline()
    stages = [*Pipeline.objects.get(is_default=True).stages.all(), *partners.stages.all()]
    leads = [
        lead_upsert(actor=admin, fields={"name": f"L{n}", "phone": f"+9198200000{n:02d}"}).lead
        for n in range(8)
    ]
    barrier = threading.Barrier(6)
    errors = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait(10)
            for _step in range(25):
                lead = rng.choice(leads)
                action = rng.random()
                try:
                    if action < 0.4:
                        call_record(
                            actor=admin,
                            fields={"call_type": "Inbound", "duration_seconds": rng.choice([0, 9])},
                            lead_id=lead.pk,
                            external_id=rng.choice([None, f"E{rng.randrange(10)}"]),
                        )
                    elif action < 0.55:
                        call = CallLog.objects.filter(lead=lead).first()
                        if call is not None:
                            outcome = rng.choice(["Busy", "Completed", "Missed"])
                            call_update(actor=admin, call=call, fields={"outcome": outcome})
                    elif action < 0.65:
                        call = CallLog.objects.filter(lead=lead).first()
                        if call is not None:
                            call_delete(actor=admin, call=call)
                    elif action < 0.8:
                        assignee = rng.choice([None, *reps])
                        lead_update(actor=admin, lead=lead, fields={"assigned_to": assignee})
                    elif action < 0.9:
                        lead_update(actor=admin, lead=lead, fields={"source": rng.choice("AB")})
                    elif action < 0.97:
                        lead_move(actor=admin, lead=lead, stage_id=rng.choice(stages).pk)
                    else:
                        lead_delete(actor=admin, lead=lead)
                except NotFound:  # a lead or call another writer deleted meanwhile: fine
                    pass
                except Conflict:  # an external id another writer used for another lead
                    pass
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(writer, range(6)))
    assert errors == []
    assert CallLog.objects.exists()
    assert Lead.objects.exists()
    assert_counts_match()


def tallies_written(queries) -> list[str]:
    """The tally tables a transaction's statements wrote, in order."""
    tables = [CallTally._meta.db_table, LeadTally._meta.db_table]
    written = []
    for query in queries:
        sql = query["sql"]
        for table in tables:
            if sql.startswith(f"INSERT INTO {table} ") or sql.startswith(f'INSERT INTO "{table}"'):
                written.append(table)
    return written


@pytest.mark.django_db(transaction=True)
def test_every_write_updates_the_tallies_in_one_order(admin_user, rep, other_rep):
    """Two transactions that write the same cells (a day's totals) in opposite orders deadlock
    on PostgreSQL (a lead's reassignment wrote the lead counts then its calls' counts, its
    deletion the other way round). Every path writes calls_calltally before leads_leadtally."""
    admin = Actor(user=admin_user, channel=Channel.API)
    leads = [make_lead(assigned_to=rep) for _ in range(4)]
    for lead in leads:
        make_call(lead)
    paths = {
        "reassign": lambda: lead_update(
            actor=admin, lead=leads[0], fields={"assigned_to": other_rep}
        ),
        "new source": lambda: lead_update(actor=admin, lead=leads[0], fields={"source": "Walk-in"}),
        "delete": lambda: lead_delete(actor=admin, lead=leads[1]),
        "call from a new number": lambda: call_record(
            actor=admin,
            fields={"call_type": "Inbound", "duration_seconds": 0},
            phone="+919812300077",
        ),
        "bulk assign": lambda: leads_bulk_update(
            actor=admin, lead_ids=[leads[2].pk, leads[3].pk], fields={"assigned_to": other_rep}
        ),
        "user deleted": lambda: other_rep.delete(),
        "bulk delete": lambda: leads_bulk_delete(actor=admin, lead_ids=[leads[2].pk]),
    }
    for name, write in paths.items():
        with CaptureQueriesContext(connection) as queries:
            write()
        written = tallies_written(queries.captured_queries)
        assert set(written) == {CallTally._meta.db_table, LeadTally._meta.db_table}, name
        assert written == sorted(written), name
    assert_counts_match()
