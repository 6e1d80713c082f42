"""The leads list's bulk actions at their limit (issue 14: "a bulk assign of 5,000 leads under
10 s on PostgreSQL"): 5,000 leads assigned, moved, tagged, untagged and deleted, through
leads.bulk directly and through the pages (choose, confirm, done), each timed with its query
count.

    .venv/bin/python bench/bulk_actions.py                 # postgres://postgres@127.0.0.1:5432
    .venv/bin/python bench/bulk_actions.py --db crm_bench_bulk --leads 5000

Drops and creates the database, migrates it, and seeds the leads in one insert: each with a
call log (whose counts move with an assignee), a third of them tagged, spread over three
reps, with an enabled webhook subscription for everything (so each changed lead also writes
its outbox message, as in production). Prints one line per action.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fresh_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="crm_bench_bulk")
    parser.add_argument("--leads", type=int, default=5000)
    args = parser.parse_args()

    fresh_database(args.db)
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.db}"
    os.environ["WEBHOOK_ALLOW_PRIVATE_URLS"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    run(args.leads)


def seed(count: int):
    from accounts.models import User
    from calls import tally as call_tally
    from calls.models import CallLog
    from events.services import Actor
    from leads import tally
    from leads.models import Lead
    from pipelines.selectors import Placement
    from webhooks.services import webhook_create

    admin = User.objects.create_superuser("admin@bench.example", "pw")
    reps = [User.objects.create_user(f"rep{n}@bench.example", "pw") for n in range(3)]
    stage = Placement().stage_for(current=None, status="New")
    leads = []
    for number in range(count):
        lead = Lead(
            name=f"Bench lead {number:05d}",
            phone=f"+9196{number:08d}",
            stage=stage,
            status=stage.status,
            source=("IVR", "Website", "Referral")[number % 3],
            tags=["vip", "hot"] if number % 3 == 0 else [],
            assigned_to=reps[number % 3] if number % 4 else None,
        )
        lead.derive()
        leads.append(lead)
    Lead.objects.bulk_create(leads, batch_size=1000)
    CallLog.objects.bulk_create(
        [CallLog(lead=lead, call_type="Inbound", duration_seconds=60) for lead in leads],
        batch_size=1000,
    )
    tally.rebuild()
    call_tally.rebuild()
    webhook_create(actor=Actor.system(admin), url="https://127.0.0.1:9/hook", events=["*"])
    return admin, reps, [lead.pk for lead in leads]


def timed(label: str, action) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        outcome = action()
        seconds = time.perf_counter() - started
    print(f"{label:<58} {seconds:6.2f} s  {len(queries):4d} queries  {outcome}", flush=True)


def run(count: int) -> None:
    from django.test import Client

    from events.models import Channel
    from events.services import Actor
    from leads.bulk import (
        leads_bulk_add_tags,
        leads_bulk_delete,
        leads_bulk_remove_tag,
        leads_bulk_update,
    )
    from pipelines.models import Stage
    from pipelines.services import pipeline_create
    from webhooks.models import Message

    started = time.perf_counter()
    admin, reps, ids = seed(count)
    print(f"seeded {count:,} leads and calls in {time.perf_counter() - started:.1f} s")
    actor = Actor(user=admin, channel=Channel.WEB)
    partners = pipeline_create(
        actor=Actor.system(),
        fields={"name": "Partners"},
        stages=[{"name": "Intro", "status": "New"}, {"name": "Signed", "status": "Won"}],
    )

    def result(outcome) -> str:
        return f"done {outcome.done:,}, unchanged {outcome.unchanged:,}, skipped {outcome.skipped}"

    timed(
        f"service: assign {count:,} leads to one rep",
        lambda: result(
            leads_bulk_update(actor=actor, lead_ids=ids, fields={"assigned_to": reps[0]})
        ),
    )

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)

    def through_pages(data: dict) -> str:
        chosen = client.post("/leads/bulk/", {"scope": "matching", "query": "", **data})
        assert chosen.status_code == 302, chosen
        confirm = chosen["Location"]
        asked = client.get(confirm)
        assert asked.status_code == 200, asked
        done = client.post(confirm)
        assert done.status_code == 302, done
        return f"→ {done['Location']}"

    timed(
        f"pages: assign every lead matching (all {count:,}) to a rep",
        lambda: through_pages({"action": "assign", "assignee": reps[1].email}),
    )
    timed(
        f"service: status of {count:,} leads to Qualified",
        lambda: result(
            leads_bulk_update(actor=actor, lead_ids=ids, fields={"status": "Qualified"})
        ),
    )
    signed = Stage.objects.get(pipeline=partners, name="Signed")
    timed(
        f"service: move {count:,} leads to a stage of another pipeline",
        lambda: result(
            leads_bulk_update(actor=actor, lead_ids=ids, fields={"stage_id": signed.pk})
        ),
    )
    timed(
        f"service: add a tag to {count:,} leads (each its own tags)",
        lambda: result(leads_bulk_add_tags(actor=actor, lead_ids=ids, tags=["bench"])),
    )
    timed(
        f"service: remove the tag from {count:,} leads",
        lambda: result(leads_bulk_remove_tag(actor=actor, lead_ids=ids, tag="bench")),
    )
    timed(
        f"pages: delete every lead matching (all {count:,})",
        lambda: through_pages({"action": "delete"}),
    )
    print(f"webhook messages written: {Message.objects.count():,}")
    timed("service: delete nothing left", lambda: _nothing_left(leads_bulk_delete, actor, ids))


def _nothing_left(delete, actor, ids) -> str:
    outcome = delete(actor=actor, lead_ids=ids)
    return f"done {outcome.done}, skipped {sum(outcome.skipped.values()):,}"


if __name__ == "__main__":
    main()
