"""A sales rep's day, measured on PostgreSQL (issue 14's targets): the Today page of a rep with
200 open tasks (p50 under 100 ms), GET /api/v1/tasks (constant queries: the same count for 50
tasks a page as for 5), and a bulk assign of 5,000 leads (under 10 s).

    .venv/bin/python bench/rep_day.py            # ~2 minutes; writes bench/results/rep_day.md

Requests go through Django's test client in this process (the server's own time: no network,
no gunicorn), with production settings (DEBUG off, the manifest's static files, Redis for the
rate limits). The database `crm_bench_day` is made afresh on each run, through the services."""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "rep_day.md"
REP_EMAIL, ADMIN_EMAIL = "rep@day.bench.example", "admin@day.bench.example"


def configure(dbname: str) -> None:
    os.environ.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{dbname}",
        REDIS_URL="redis://127.0.0.1:6379/5",
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-" + "x" * 60,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
    )
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{dbname}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def seed(n_leads: int, n_tasks: int) -> dict:
    from django.utils import timezone

    from accounts.models import User
    from apikeys.services import apikey_create
    from events.models import Channel
    from events.services import Actor
    from leads.services import lead_upsert_many
    from tasks.services import task_create, task_update

    admin = User.objects.create_superuser(ADMIN_EMAIL, "pw")
    rep = User.objects.create_user(REP_EMAIL, "pw")
    actor = Actor(user=admin, channel=Channel.IMPORT)
    lead_ids = []
    for start in range(0, n_leads, 100):
        items = {
            i: {"name": f"Bench Lead {i}", "phone": f"+9196{i:08d}", "source": "Website"}
            for i in range(start, min(start + 100, n_leads))
        }
        lead_ids += [
            result.lead.pk for result in lead_upsert_many(actor=actor, items=items).values()
        ]
    # The rep's 300 leads, with 200 open tasks (a third overdue, a third due today, a third
    # later) and 100 done ones.
    from leads.models import Lead

    Lead.objects.filter(pk__in=lead_ids[-300:]).update(assigned_to=rep)
    now = timezone.now()
    for index in range(n_tasks + 100):
        hours = (-30, 2, 72)[index % 3] + index % 7
        task = task_create(
            actor=actor,
            lead_id=lead_ids[-300 + index % 300],
            fields={"title": f"Follow-up {index}", "due_at": now + dt.timedelta(hours=hours),
                    "assigned_to": rep},
        )  # fmt: skip
        if index >= n_tasks:
            task_update(actor=actor, task=task, fields={"done": True})
    _, raw_key = apikey_create(
        actor=actor, name="bench", user=admin, can_read=True, can_write=True, can_delete=True,
        allowed_ips=[], rate_limit_per_minute=1_000_000,
    )  # fmt: skip
    return {"admin": admin, "rep": rep, "lead_ids": lead_ids[:-300], "key": raw_key}


def timed(get, n: int) -> dict:
    for _ in range(10):  # warm-up: caches, connection, templates
        get()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        get()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p90": samples[int(0.9 * len(samples)) - 1],
        "n": n,
    }


def queries_of(get) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        get()
    return len(captured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="crm_bench_day")
    parser.add_argument("--leads", type=int, default=6_000)
    parser.add_argument("--tasks", type=int, default=200, help="the rep's open tasks")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    configure(args.db)
    started = time.perf_counter()
    data = seed(args.leads, args.tasks)
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)

    from django.test import Client

    from events.models import Channel
    from events.services import Actor
    from leads.bulk import leads_bulk_update
    from leads.models import Lead

    rep_browser = Client()
    rep_browser.force_login(data["rep"])

    def today():
        response = rep_browser.get("/")
        assert response.status_code == 200, response.status_code
        assert b"Follow-up" in response.content

    api = Client(HTTP_AUTHORIZATION=f"Bearer {data['key']}")

    def tasks_page(limit: int):
        def get():
            response = api.get(f"/api/v1/tasks?assigned_to={REP_EMAIL}&status=open&limit={limit}")
            assert response.status_code == 200, response.content[:300]

        return get

    results = {
        "today": timed(today, args.requests),
        "tasks_api": timed(tasks_page(50), args.requests),
        "today_queries": queries_of(today),
        "tasks_queries_5": queries_of(tasks_page(5)),
        "tasks_queries_50": queries_of(tasks_page(50)),
    }
    ids = data["lead_ids"][:5000]
    actor = Actor(user=data["admin"], channel=Channel.WEB)
    started = time.perf_counter()
    outcome = leads_bulk_update(actor=actor, lead_ids=ids, fields={"assigned_to": data["rep"]})
    results["bulk_seconds"] = time.perf_counter() - started
    results["bulk_done"] = outcome.done
    assert Lead.objects.filter(pk__in=ids, assigned_to=data["rep"]).count() == len(ids)

    report = f"""# A sales rep's day (bench/rep_day.py)

PostgreSQL, production settings, Django's test client in one process (server time, no
network); {args.leads:,} leads, the rep with {args.tasks} open tasks (and 100 done) on 300 leads.
Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.

| What | Measured | Target |
|---|---:|---|
| Today page (the rep, {args.tasks} open tasks), p50 of {args.requests} | {results["today"]["p50"]:.1f} ms (p90 {results["today"]["p90"]:.1f} ms) | p50 under 100 ms |
| Today page, SQL queries | {results["today_queries"]} | constant |
| `GET /api/v1/tasks?assigned_to=…&status=open&limit=50`, p50 | {results["tasks_api"]["p50"]:.1f} ms (p90 {results["tasks_api"]["p90"]:.1f} ms) | |
| `GET /api/v1/tasks`, SQL queries for 5 / 50 tasks a page | {results["tasks_queries_5"]} / {results["tasks_queries_50"]} | equal |
| Bulk assign of 5,000 leads (`leads.bulk.leads_bulk_update`, one call) | {results["bulk_seconds"]:.2f} s ({results["bulk_done"]:,} changed) | under 10 s |
"""  # noqa: E501
    RESULTS.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
