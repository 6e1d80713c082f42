"""Seed a benchmark database with realistic leads, call logs and their events via COPY.

Usable on its own: `.venv/bin/python bench/seed.py --db crm_bench --leads 100000 --calls 300000`.
The data is deterministic for a given seed (names, phones, statuses...), its timestamps are
relative to the moment of seeding: everything falls in the last 90 days. Every lead is in the
default pipeline's stage of its status (the migrations create the pipeline, Sales, one stage
per status), which it entered at a random moment between its creation and its last update.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

if __package__ in (None, ""):  # run as a script: .venv/bin/python bench/seed.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.seed_data import (
    CALL_NOTES,
    CITIES,
    COMPANY_KINDS,
    COMPANY_STEMS,
    DOMAINS,
    FIRST,
    LAST,
    NOTES,
    OUTCOMES_NONZERO,
    OUTCOMES_ZERO,
    PRIORITIES,
    SOURCES,
    STATUSES,
    TAGS,
)
from leads.rules import name_key, search_text, tag_keys

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
SEED_VERSION = "7"  # bump when the shape of the seeded data changes: forces a reseed
HEAVY_LEAD_CALLS = 200
SEED_DAYS = 90
LOADED_TABLES = ("leads_lead", "calls_calllog", "events_event")
# The webhook scenarios' (issue #11) inserts and deletes; vacuumed with the others.
WEBHOOK_TABLES = ("webhooks_message", "webhooks_attempt", "django_tasks_database_dbtaskresult")
_T0 = time.perf_counter()
RESEED_AFTER = dt.timedelta(hours=24)  # the default 30-day window drifts as the data ages

ADMIN_EMAIL = "bench-admin@bench.example"
ADMIN_PASSWORD = "bench-admin-password-1"  # noqa: S105 (a throwaway local benchmark user)
REPS = 20
# The first sales rep can log in too (the pipeline board as a rep sees it: their leads only).
REP_PASSWORD = "bench-rep-password-1"  # noqa: S105 (a throwaway local benchmark user)
# Rotting limits a team would set on the default pipeline's open stages (the migration leaves
# them unset), so that the board's rotting flags vary: days without a change before a lead in
# the stage is flagged.
ROTTING_DAYS = {"New": 7, "Contacted": 14, "Qualified": 21, "Proposal": 30}


@dataclass
class SeedInfo:
    dbname: str
    leads: int
    calls: int
    reused: bool
    seconds: float
    heavy_lead_id: str
    seeded_at: str


def log(message: str) -> None:
    print(f"  [seed {time.perf_counter() - _T0:5.1f}s] {message}", file=sys.stderr, flush=True)


def dsn(dbname: str) -> str:
    return f"{PG_SERVER}/{dbname}"


def _weighted(rng: random.Random, table: dict[str, int], k: int) -> list[str]:
    return rng.choices(list(table), weights=list(table.values()), k=k)


def django_password_hash(password: str, iterations: int = 1_000_000) -> str:
    """A hash Django's PBKDF2PasswordHasher accepts, computed without loading Django."""
    salt = base64.b64encode(os.urandom(12)).decode().rstrip("=").replace("+", "a").replace("/", "b")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


def rep_email(i: int) -> str:
    """The email of sales rep `i` (0 is the one that logs in: REP_PASSWORD)."""
    first, last = FIRST[i * 3 % len(FIRST)], LAST[i * 7 % len(LAST)]
    return f"{first}.{last}{i}@sales.bench.example".lower()


REP_EMAIL = rep_email(0)


def default_stages(conn: psycopg.Connection) -> dict[str, str]:
    """{status: id of the default pipeline's first active stage reporting it}, as the migrations
    created them; sets the bench's rotting limits on them."""
    rows = conn.execute(
        "SELECT s.status, s.id::text FROM pipelines_stage s JOIN pipelines_pipeline p "
        "ON p.id = s.pipeline_id WHERE p.is_default AND p.archived_at IS NULL "
        "AND s.archived_at IS NULL ORDER BY s.position DESC, s.id DESC"
    ).fetchall()
    stage_of = dict(rows)  # the lowest position last, so it wins
    missing = sorted(set(STATUSES) - set(stage_of))
    if missing:
        raise RuntimeError(f"the default pipeline has no active stage for {missing}")
    for status, stage_id in stage_of.items():
        conn.execute(
            "UPDATE pipelines_stage SET rotting_days = %s WHERE id = %s",
            [ROTTING_DAYS.get(status), stage_id],
        )
    return stage_of


def ensure_database(dbname: str) -> None:
    with psycopg.connect(dsn("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{dbname}"')


def manage(dbname: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": dsn(dbname), "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def migrate(dbname: str) -> None:
    manage(dbname, "migrate", "--noinput", "-v0")


def recount(dbname: str) -> None:
    """The lead and call counts behind list totals and analytics (leads.tally, calls.tally),
    after rows went in or out by SQL."""
    manage(dbname, "rebuild_lead_tally", "-v0")
    manage(dbname, "rebuild_call_tally", "-v0")


def read_meta(conn: psycopg.Connection) -> dict[str, str]:
    conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
    return dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())


def seeded_counts(conn: psycopg.Connection) -> tuple[int, int]:
    leads = conn.execute("SELECT count(*) FROM leads_lead").fetchone()[0]
    calls = conn.execute("SELECT count(*) FROM calls_calllog").fetchone()[0]
    return leads, calls


def seed(
    dbname: str, leads: int, calls: int, *, force: bool = False, rng_seed: int = 42
) -> SeedInfo:
    """Create/migrate `dbname` and fill it, unless it already holds exactly this data set."""
    started = time.perf_counter()
    ensure_database(dbname)
    migrate(dbname)
    with psycopg.connect(dsn(dbname), autocommit=True) as conn:
        meta = read_meta(conn)
        if meta.get("seeded_at"):
            # Rows a crashed earlier run added (everything seeded is at or before seeded_at).
            since = dt.datetime.fromisoformat(meta["seeded_at"]) + dt.timedelta(seconds=1)
            if any(_delete_since(conn, since).values()):
                recount(dbname)
        have = seeded_counts(conn)
        fresh = False
        if meta.get("seeded_at"):
            age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(meta["seeded_at"])
            fresh = age < RESEED_AFTER
        if (
            not force
            and fresh
            and meta.get("version") == SEED_VERSION
            and have == (leads, calls)
            and int(meta.get("leads", -1)) == leads
        ):
            return SeedInfo(
                dbname, leads, calls, True, time.perf_counter() - started,
                meta["heavy_lead_id"], meta["seeded_at"],
            )  # fmt: skip
        info = _fill(conn, dbname, leads, calls, random.Random(rng_seed))
        recount(dbname)
        info.seconds = time.perf_counter() - started
        return info


def _uuid4(rng: random.Random) -> str:
    """A version-4 UUID as 32 hex digits (PostgreSQL takes them without dashes): ~5x faster
    than uuid.UUID(bytes=...)."""
    bits = rng.getrandbits(128)
    bits = (bits & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    return f"{bits:032x}"


def _fill(
    conn: psycopg.Connection, dbname: str, n_leads: int, n_calls: int, rng: random.Random
) -> SeedInfo:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # One transaction: a failure half-way leaves the previous data set (and its indexes) intact,
    # and COPY FREEZE may skip the hint-bit rewrite because the tables were truncated in it.
    with conn.transaction():
        conn.execute(
            "TRUNCATE events_event, leads_note, calls_calllog, leads_lead, apikeys_apikey, "
            "django_session, accounts_user CASCADE"
        )
        conn.execute("DELETE FROM bench_meta")
        # Bulk-load speed: secondary indexes are rebuilt after the COPY (one sort each instead
        # of a row-by-row insert into each), FK triggers are off while loading rows that match.
        secondary = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
            "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)",
            [list(LOADED_TABLES)],
        ).fetchall()
        for name, _ in secondary:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("SET LOCAL synchronous_commit = off")
        conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        heavy_lead_id = _load_rows(conn, now, n_leads, n_calls, rng)
        conn.execute("SET LOCAL session_replication_role = DEFAULT")
        for _, definition in secondary:
            conn.execute(definition)
        log(f"rebuilt {len(secondary)} secondary indexes")
        meta = {
            "version": SEED_VERSION,
            "leads": str(n_leads),
            "calls": str(n_calls),
            "seeded_at": now.isoformat(),
            "heavy_lead_id": heavy_lead_id,
        }
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_meta (key, value) VALUES (%s, %s)", [*meta.items()])
    vacuum_analyze(conn)
    log("vacuum analyze done")
    return SeedInfo(dbname, n_leads, n_calls, False, 0.0, heavy_lead_id, meta["seeded_at"])


def _load_rows(
    conn: psycopg.Connection, now: dt.datetime, n_leads: int, n_calls: int, rng: random.Random
) -> str:
    """Users, leads, calls and their events; returns the id of the lead with 200 calls."""
    # Users: one admin that logs in (UI pages) and owns the API key, and a team of sales reps.
    admin_id = conn.execute(
        "INSERT INTO accounts_user (password, is_superuser, first_name, last_name, is_staff, "
        "is_active, date_joined, email) VALUES (%s, true, 'Bench', 'Admin', true, true, %s, %s) "
        "RETURNING id",
        [django_password_hash(ADMIN_PASSWORD), now, ADMIN_EMAIL],
    ).fetchone()[0]
    rep_ids = []
    for i in range(REPS):
        first, last = FIRST[i * 3 % len(FIRST)], LAST[i * 7 % len(LAST)]
        password = django_password_hash(REP_PASSWORD) if i == 0 else "!"
        rep_ids.append(
            conn.execute(
                "INSERT INTO accounts_user (password, is_superuser, first_name, last_name, "
                "is_staff, is_active, date_joined, email) "
                "VALUES (%s, false, %s, %s, false, true, %s, %s) RETURNING id",
                [password, first, last, now, rep_email(i)],
            ).fetchone()[0]
        )
    stage_of = default_stages(conn)

    # Leads ------------------------------------------------------------------------------------
    now_epoch = int(now.timestamp())
    span = SEED_DAYS * 86400
    utc = dt.UTC
    stamp = dt.datetime.fromtimestamp
    phones = rng.sample(range(7_000_000_000, 9_999_999_999), n_leads)
    sources = _weighted(rng, SOURCES, n_leads)
    statuses = _weighted(rng, STATUSES, n_leads)
    priorities = _weighted(rng, PRIORITIES, n_leads)
    tag_lists = [rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2, 3))) for _ in range(64)]
    # (tags as JSON, and their lookup column as leads.rules derives it, COPY-escaped)
    tag_sets = [(json.dumps(tags), _copy_text(tag_keys(tags))) for tags in tag_lists]
    lead_ids: list[str] = []
    lead_created: list[int] = []
    heavy = 0  # lead index 0 gets exactly HEAVY_LEAD_CALLS calls
    rows: list[str] = []
    events: list[str] = []
    # One event per lead and per call, as an import would record them (no snapshot, no key,
    # no address): the lead's timeline and the event table have realistic sizes.
    actor = f"{admin_id}\t{ADMIN_EMAIL}\t"  # the actor, and no API key label
    random_ = rng.random
    for i in range(n_leads):
        lead_id = _uuid4(rng)
        created = now_epoch - (20 * 86400 + 3 * 3600 if i == heavy else rng.randrange(span))
        updated = created + rng.randrange(max(1, now_epoch - created))
        # Entered its stage (the one of its status) between its creation and its last update.
        entered = created + rng.randrange(updated - created + 1)
        created_s = stamp(created, utc).isoformat()
        first, last = rng.choice(FIRST), rng.choice(LAST)
        phone = f"+91{phones[i]}"
        email = f"{first}.{last}{i}@{rng.choice(DOMAINS)}".lower() if random_() < 0.85 else N
        company = (
            f"{rng.choice(COMPANY_STEMS)} {rng.choice(COMPANY_KINDS)}" if random_() < 0.7 else N
        )
        deal = f"{rng.randrange(5_000_00, 50_00_000_00) / 100:.2f}" if random_() < 0.6 else N
        notes = rng.choice(NOTES) if random_() < 0.3 else N
        assignee = str(rng.choice(rep_ids)) if random_() < 0.6 else N
        lead_ids.append(lead_id)
        lead_created.append(created)
        tags, keys = rng.choice(tag_sets)
        searched = search_text(
            name=f"{first} {last}",
            email=None if email == N else email,
            company=None if company == N else company,
            phone=phone,
            phone_e164=phone,
        )
        rows.append(
            f"{lead_id}\t{first} {last}\t{email}\t{phone}\t{company}\t{rng.choice(CITIES)}\t"
            f"{sources[i]}\t{statuses[i]}\t{priorities[i]}\t{tags}\t{deal}\t"
            f"{notes}\t{phone}\t{email}\t{created_s}\t{stamp(updated, utc).isoformat()}\t"
            f"{assignee}\t{_copy_text(searched)}\t{keys}\t{stage_of[statuses[i]]}\t"
            f"{stamp(entered, utc).isoformat()}\t{_copy_text(name_key(f'{first} {last}'))}\n"
        )
        changes = (
            f'{{"name": [null, "{first} {last}"], "phone": [null, "{phone}"], '
            f'"source": [null, "{sources[i]}"], "status": [null, "{statuses[i]}"]}}'
        )
        events.append(
            f"{created_s}\tlead.created\tlead\t{_dashed(lead_id)}\t{first} {last}\t{lead_id}\t"
            f"{changes}\timport\t{actor}\n"
        )
    log(f"generated {n_leads} leads")
    _copy(
        conn,
        "leads_lead (id, name, email, phone, company, city, source, status, priority, tags, "
        "deal_value, notes, phone_e164, email_key, created_at, updated_at, assigned_to_id, "
        "search_text, tag_keys, stage_id, stage_entered_at, name_key)",
        rows,
    )
    log("copied leads")

    # Calls: the heavy lead gets exactly HEAVY_LEAD_CALLS, the rest are spread over other leads.
    rows = []
    call_types = rng.choices(("Inbound", "Outbound"), weights=(45, 55), k=n_calls)
    zero_outcomes = _weighted(rng, OUTCOMES_ZERO, n_calls)
    other_outcomes = _weighted(rng, OUTCOMES_NONZERO, n_calls)
    for j in range(n_calls):
        i = heavy if j < HEAVY_LEAD_CALLS or n_leads == 1 else rng.randrange(1, n_leads)
        created = lead_created[i]
        called = created + rng.randrange(max(1, now_epoch - created))
        logged_s = stamp(min(now_epoch, called + rng.randrange(5, 600)), utc).isoformat()
        duration = 0 if random_() < 0.22 else rng.randrange(8, 1800)
        outcome = zero_outcomes[j] if duration == 0 else other_outcomes[j]
        notes = rng.choice(CALL_NOTES) if random_() < 0.2 else N
        call_id = _uuid4(rng)
        rows.append(
            f"{call_id}\t{call_types[j]}\t{duration}\t{outcome}\t{notes}\t"
            f"{stamp(called, utc).isoformat()}\t{logged_s}\t{lead_ids[i]}\n"
        )
        changes = (
            f'{{"call_type": [null, "{call_types[j]}"], "duration_seconds": [null, {duration}], '
            f'"outcome": [null, "{outcome}"]}}'
        )
        events.append(
            f"{logged_s}\tcall_log.created\tcall_log\t{_dashed(call_id)}\t"
            f"{call_types[j]} call, {duration}s ({outcome})\t{lead_ids[i]}\t{changes}\timport\t"
            f"{actor}\n"
        )
    log(f"generated {n_calls} calls")
    _copy(
        conn,
        "calls_calllog (id, call_type, duration_seconds, outcome, notes, called_at, created_at, "
        "lead_id)",
        rows,
    )
    _copy(
        conn,
        "events_event (occurred_at, verb, subject_type, subject_id, subject_repr, lead_id, "
        "changes, channel, actor_id, actor_email, api_key_label)",
        events,
    )
    log("copied calls and events")
    return str(uuid.UUID(lead_ids[heavy]))


N = "\\N"  # COPY's text-format NULL (no generated value contains a tab, newline or backslash)


def _copy_text(text: str) -> str:
    """A value in COPY's text format: a backslash and a line break are written escaped."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _dashed(hex32: str) -> str:
    """32 hex digits as the canonical UUID text (what str(model.pk) gives, for subject_id)."""
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def _copy(conn: psycopg.Connection, target: str, rows: list[str], chunk: int = 20_000) -> None:
    with conn.cursor().copy(f"COPY {target} FROM STDIN (FREEZE)") as copy:
        for start in range(0, len(rows), chunk):
            copy.write("".join(rows[start : start + chunk]))


def cleanup_after_run(dbname: str, since: dt.datetime) -> dict[str, int]:
    """Delete what the write scenarios added (leads, calls, notes, events, and the webhook
    scenarios' subscription, messages, attempts, delivery tasks and worker heartbeats), so the
    next run finds the seeded counts again. (Merge targets keep their merged notes/tags; the
    row counts are what matters.)"""
    with psycopg.connect(dsn(dbname), autocommit=True) as conn:
        deleted = _delete_since(conn, since)
    recount(dbname)  # (merges changed seeded leads too: counted again, exactly)
    return deleted


def delete_webhook_rows(
    conn: psycopg.Connection,
    *,
    since: dt.datetime | None = None,
    subscription_id: str | None = None,
    url: str | None = None,
) -> dict[str, int]:
    """Webhook messages (with their attempts and delivery tasks) created since `since`, or those
    of one subscription, or of the subscriptions to `url` together with those subscriptions.
    Messages go before the events they name (a foreign key)."""
    if since is not None:
        where, args = "m.created_at >= %s", [since]
    elif subscription_id is not None:
        where, args = "m.subscription_id = %s", [subscription_id]
    else:
        where = "m.subscription_id IN (SELECT id FROM webhooks_subscription WHERE url = %s)"
        args = [url]
    deleted = {}
    statements = (
        ("webhooks_attempt", "DELETE FROM webhooks_attempt a USING webhooks_message m "
         f"WHERE a.message_id = m.id AND {where}"),
        # A delivery task's one argument is the list of its messages' ids.
        ("django_tasks_database_dbtaskresult", "DELETE FROM django_tasks_database_dbtaskresult t "
         "WHERE jsonb_typeof(t.args_kwargs->'args'->0) = 'array' AND EXISTS (SELECT 1 FROM "
         "jsonb_array_elements_text(t.args_kwargs->'args'->0) AS e(id) JOIN webhooks_message m "
         f"ON m.id::text = e.id WHERE {where})"),
        ("webhooks_message", f"DELETE FROM webhooks_message m WHERE {where}"),
    )  # fmt: skip
    for table, sql in statements:
        deleted[table] = conn.execute(sql, args).rowcount
    if since is not None:
        deleted["django_tasks_database_dbtaskresult"] += conn.execute(
            "DELETE FROM django_tasks_database_dbtaskresult WHERE enqueued_at >= %s", [since]
        ).rowcount
        for table, column in (("webhooks_subscription", "created_at"),
                              ("webhooks_workerheartbeat", "started_at")):  # fmt: skip
            cur = conn.execute(f"DELETE FROM {table} WHERE {column} >= %s", [since])
            deleted[table] = cur.rowcount
    elif url is not None:
        cur = conn.execute("DELETE FROM webhooks_subscription WHERE url = %s", [url])
        deleted["webhooks_subscription"] = cur.rowcount
    return deleted


def _delete_since(conn: psycopg.Connection, since: dt.datetime) -> dict[str, int]:
    deleted = {}
    with conn.transaction():
        deleted.update(delete_webhook_rows(conn, since=since))
        for table, column in (
            ("events_event", "occurred_at"),
            ("leads_note", "created_at"),
            ("calls_calllog", "created_at"),
            ("leads_lead", "created_at"),
        ):
            cur = conn.execute(f"DELETE FROM {table} WHERE {column} >= %s", [since])
            deleted[table] = cur.rowcount
    return deleted


def vacuum_analyze(conn: psycopg.Connection) -> None:
    """Fresh statistics and visibility map (index-only scans), as autovacuum keeps them."""
    for table in (*LOADED_TABLES, "leads_note", "accounts_user", *WEBHOOK_TABLES):
        conn.execute(f"VACUUM ANALYZE {table}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="crm_bench")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=None, help="default: 3 x leads")
    parser.add_argument("--force", action="store_true", help="reseed even if the counts match")
    args = parser.parse_args()
    calls = args.calls if args.calls is not None else 3 * args.leads
    info = seed(args.db, args.leads, calls, force=args.force)
    verb = "reused" if info.reused else "seeded"
    print(f"{verb} {info.dbname}: {info.leads} leads, {info.calls} calls in {info.seconds:.1f}s")


if __name__ == "__main__":
    main()
