#!/usr/bin/env python
"""The benchmark, in one command: `.venv/bin/python bench/run.py [--quick] [--leads 100000]`.

Seeds PostgreSQL (reusing a matching data set), serves the app with gunicorn as production
would (DEBUG off, Redis rate limiting), drives it with wrk from 127.0.0.1, measures the two
baselines (framework floor, data floor) the same way, profiles list-leads and merge with
py-spy, and writes the report to bench/results/latest.md (--quick: results/quick.md.raw, which
git ignores; raw tool output: results/*.raw).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import redis  # noqa: E402
import requests  # noqa: E402

from bench import harness, report, seed  # noqa: E402
from bench import profile as profiling  # noqa: E402
from bench import webhook_bench as hooks  # noqa: E402
from bench.harness import RESULTS, CpuMeter, Server, WrkResult  # noqa: E402

APP = "config.wsgi:application"
RAW_APP = "bench.raw_app:application"
PORTS = {"app": 8801, "raw": 8802, "small": 8803}
READ_SCRIPTS = ("get.lua", "lookup_lead.lua")
FRESH_PHONE_SCRIPTS = ("create_lead.lua", "bulk_leads.lua")  # get a new phone range per wrk run
# Get a nonce after their data file, so that no request repeats one of an earlier wrk run (a
# merge that repeats one changes nothing: no UPDATE, no webhook message).
NONCE_SCRIPTS = ("merge_lead.lua",)
BULK_SIZE = 100  # leads per POST /api/v1/leads/bulk (bulk_leads.lua's BATCH)
BULK_SECONDS = 10  # at least, per round: a 100-lead request takes ~0.5 s of a worker
# The text search the q probe sends: the start of the first name Priya (one in 60 leads; their
# emails start with it too), as someone typing a name would.
SEARCH_QUERY = "priy"
# The deep-page probes (issue #13): every lead since before the seed, newest first, at this
# offset (the last page of 100,000 leads; a tenth of the way into 1,000,000), and the same
# rows by keyset (`cursor`, the next_cursor of the page before).
DEEP_OFFSET = 99_950
ANALYTICS = ("summary", "sources", "funnel")


@dataclass
class Plan:
    rounds: int  # every scenario runs this many times, interleaved with the others
    seconds: float  # per round of a load scenario
    probe_seconds: float  # per round of a 1-connection latency probe
    warmup: float  # before a scenario's first round
    sweep: bool  # try the worker configs first
    profile_seconds: int  # 0 = no profile
    threads: int = 2
    connections: int = 16
    quiet_wait: float = 0  # max seconds per round to wait for other processes to go quiet
    quiet_budget: float = 0  # max seconds of such waiting in the whole run

    @classmethod
    def from_args(cls, args) -> Plan:
        if args.quick:
            plan = cls(1, 3, 3, 1, False, 4, quiet_wait=3, quiet_budget=20)
        else:
            plan = cls(3, 5, 4, 2, True, 10, quiet_wait=5, quiet_budget=150)
        if args.rounds:
            plan.rounds = args.rounds
        if args.seconds:
            plan.seconds = args.seconds
        if args.no_profile:
            plan.profile_seconds = 0
        if args.workers:
            plan.sweep = False
        plan.threads, plan.connections = args.threads, args.connections
        if args.quiet_wait is not None:
            plan.quiet_wait = args.quiet_wait
        return plan


@dataclass
class Scenario:
    key: str
    label: str
    request: str  # shown in the report
    path: str
    expected: int
    server: str = "app"  # app | raw | small
    script: str = "get.lua"
    script_args: tuple[str, ...] = ()
    auth: str = "key"  # key | none | session | small
    connections: int | None = None  # None: the plan's; 1 for latency probes
    items: int = 1  # leads per request (the bulk create's 100)
    check: str = ""  # what the Lua script checks in every body, for the Responses column
    last: bool = False  # runs after the round's other writes (so many inserts weigh on none)
    # Slow requests: rounds of at least `min_seconds`, and after each wrk run the server is
    # left to finish the requests wrk dropped, outside any measurement.
    min_seconds: float = 0
    drain: bool = False
    # Runs with the bench's webhook subscription enabled (issue #11's outbox cost), right after
    # its twin without (`twin`), so both see the same tables.
    webhook: bool = False
    twin: str = ""

    @property
    def writes(self) -> bool:
        return self.script not in READ_SCRIPTS


@dataclass
class Round:
    result: WrkResult
    foreign_cores: float  # CPU the rest of the machine used meanwhile
    cpu_seconds: dict[str, float]  # app / db / redis / client


@dataclass
class Outcome:
    scenario: Scenario
    rounds: list[Round] = field(default_factory=list)
    note: str = ""  # e.g. "not available yet"
    messages: int = 0  # webhook messages the measured rounds queued (webhook scenarios)

    @property
    def probe(self) -> bool:
        return self.scenario.connections == 1

    @property
    def best(self) -> Round | None:
        """The least disturbed round: most req/s, or for a probe the lowest p50."""
        if not self.rounds:
            return None
        if self.probe:
            return min(self.rounds, key=lambda r: r.result.latency_us["p50"])
        return max(self.rounds, key=lambda r: r.result.rps)

    @property
    def result(self) -> WrkResult | None:
        return self.best.result if self.best else None

    @property
    def foreign_cores(self) -> float:
        return self.best.foreign_cores if self.best else 0.0

    def cpu_ms_per_request(self, group: str) -> float | None:
        """CPU milliseconds per request over all rounds (steady even on a busy machine)."""
        requests = sum(r.result.requests for r in self.rounds)
        if not requests:
            return None
        return 1000 * sum(r.cpu_seconds[group] for r in self.rounds) / requests

    def unexpected(self) -> int:
        return sum(r.result.unexpected(self.scenario.expected) for r in self.rounds)

    def describe_statuses(self) -> str:
        """Statuses over all rounds."""
        errors = {k: 0 for k in ("connect", "read", "write", "status", "timeout")}
        merged = WrkResult(0, 0, {}, {}, errors, 0)
        for r in self.rounds:
            merged.requests += r.result.requests
            merged.bad_bodies += r.result.bad_bodies
            for status, n in r.result.statuses.items():
                merged.statuses[status] = merged.statuses.get(status, 0) + n
            for k, n in r.result.errors.items():
                merged.errors[k] += n
        described = merged.describe_statuses(self.scenario.expected)
        if self.scenario.check and not merged.unexpected(self.scenario.expected):
            described += f" ({self.scenario.check})"
        return described


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- preparation ------------------------------------------------------------------------------


def check_services() -> None:
    try:
        with psycopg.connect(seed.dsn("postgres"), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        sys.exit(f"PostgreSQL is not reachable at 127.0.0.1:5432 as postgres: {exc}")
    try:
        redis.Redis.from_url(harness.REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        sys.exit(f"Redis is not reachable at {harness.REDIS_URL}: {exc}")


def new_api_key(dbname: str) -> str:
    """A fresh admin key with a rate limit the load never reaches (old bench keys go)."""
    with psycopg.connect(seed.dsn(dbname), autocommit=True) as conn:
        # Events name the key they came through (Django's SET_NULL, not the database's).
        conn.execute("UPDATE events_event SET api_key_id = NULL WHERE api_key_id IN "
                     "(SELECT id FROM apikeys_apikey WHERE name = 'bench')")  # fmt: skip
        conn.execute("DELETE FROM apikeys_apikey WHERE name = 'bench'")
    out = harness.manage(
        "create_api_key", "--email", seed.ADMIN_EMAIL, "--admin",
        "--permissions", "read,write,delete", "--rate-limit", "1000000", "--name", "bench",
        database_url=seed.dsn(dbname),
    )  # fmt: skip
    return out.strip().splitlines()[-1]


def write_data_files(dbname: str, heavy_lead_id: str) -> dict[str, Path]:
    """Merge targets (phone, name), call targets (lead id) and lookup targets (lead id, phone)
    for the Lua scripts: 1,000 existing leads, the 200-call lead excluded, in a fixed
    pseudo-random order."""
    files = {
        "merge": RESULTS / f"merge-targets-{dbname}.raw",
        "calls": RESULTS / f"call-targets-{dbname}.raw",
        "lookups": RESULTS / f"lookup-targets-{dbname}.raw",
    }
    with psycopg.connect(seed.dsn(dbname)) as conn:
        rows = conn.execute(
            "SELECT id, phone_e164, name FROM leads_lead WHERE id <> %s AND phone_e164 IS NOT NULL "
            "ORDER BY md5(id::text) LIMIT 1000",
            [heavy_lead_id],
        ).fetchall()
    files["merge"].write_text("".join(f"{phone}\t{name}\n" for _, phone, name in rows))
    files["calls"].write_text("".join(f"{lead_id}\n" for lead_id, _, _ in rows))
    files["lookups"].write_text("".join(f"{lead_id}\t{phone}\n" for lead_id, phone, _ in rows))
    return files


def typed_phone(e164: str) -> str:
    """An Indian number as people write it, URL-encoded: +919876543210 → 098765%2043210
    (what lookup_lead.lua sends)."""
    national = e164.removeprefix("+91")
    return quote(f"0{national[:5]} {national[5:]}")


def bulk_body(serial: int) -> dict:
    """A bulk create of BULK_SIZE new leads (as bulk_leads.lua makes them), phones from
    +916 followed by `serial`."""
    leads = [
        {"name": f"Bench SQL {serial + i}", "phone": f"+916{serial + i:09d}",
         "email": f"bench.sql.{serial + i}@example.com", "source": "Website",
         "tags": ["bench", "backlog"], "deal_value": 25000}
        for i in range(BULK_SIZE)
    ]  # fmt: skip
    return {"leads": leads}


# The pipeline requests whose SQL is counted again with a second pipeline of
# report.EXTRA_STAGES stages, and at 1k leads: the same statements whatever the number of
# stages or leads.
EXTRA_STAGES = report.EXTRA_STAGES
CONSTANT_SQL = ("pipelines", "ui_board", "ui_board_rep")


def count_queries(
    server: Server,
    key: str,
    files: dict,
    only: tuple[str, ...] = (),
    suffix: str = "",
    heavy: str = "",
) -> tuple[dict[str, list[str]], list]:
    """The SQL each API scenario's and page's request runs (in-process, Django's test client;
    a page with its user's session), and notes on requests that did not answer as their
    scenario expects. `only`: these requests, their keys with `suffix` (the webhook scenarios'
    counts, with the subscription enabled; the pipeline ones at 1k leads). `heavy`: the lead of
    the detail page (none: no detail page)."""
    phone, name = files["merge"].read_text().splitlines()[0].split("\t")
    lead_id = files["calls"].read_text().splitlines()[0]
    serial = random.randrange(10**8 - 10**6)
    specs = {
        "list": {"method": "GET", "path": "/api/v1/leads"},
        "list_filtered": {"method": "GET", "path": "/api/v1/leads?status=New&source=IVR"},
        "list_500": {"method": "GET", "path": "/api/v1/leads?limit=500"},
        "create": {"method": "POST", "path": "/api/v1/leads", "bodies": [
            {"name": "Bench SQL", "phone": f"+916{serial + i:09d}", "source": "Website"}
            for i in range(2)
        ]},
        "merge": {"method": "POST", "path": "/api/v1/leads", "bodies": [
            {"name": name, "phone": phone, "notes": f"SQL count {i}"} for i in range(2)
        ]},
        "calls": {"method": "GET", "path": "/api/v1/call-logs"},
        "summary": {"method": "GET", "path": "/api/v1/analytics/summary"},
        "sources": {"method": "GET", "path": "/api/v1/analytics/sources"},
        "funnel": {"method": "GET", "path": "/api/v1/analytics/funnel"},
        "log_call": {"method": "POST", "path": "/api/v1/call-logs", "bodies": [
            {"lead_id": lead_id, "call_type": "Inbound", "duration_seconds": 42}
        ] * 2},
        "lookup_phone": {"method": "GET", "path": f"/api/v1/leads?phone={typed_phone(phone)}"},
        "lead_get": {"method": "GET", "path": f"/api/v1/leads/{lead_id}"},
        "search_probe": {"method": "GET", "path": f"/api/v1/leads?q={SEARCH_QUERY}"},
        "bulk": {"method": "POST", "path": "/api/v1/leads/bulk", "bodies": [
            bulk_body(serial + 1000), bulk_body(serial + 1000 + BULK_SIZE)
        ]},
        "pipelines": {"method": "GET", "path": "/api/v1/pipelines"},
        "ui_list": {"method": "GET", "path": "/leads/", "login": seed.ADMIN_EMAIL},
        "ui_detail": {"method": "GET", "path": f"/leads/{heavy}/", "login": seed.ADMIN_EMAIL},
        "ui_board": {"method": "GET", "path": "/pipeline/", "login": seed.ADMIN_EMAIL},
        "ui_board_rep": {"method": "GET", "path": "/pipeline/", "login": seed.REP_EMAIL},
        # With a second pipeline of EXTRA_STAGES stages (rolled back afterwards): the API lists
        # both pipelines' stages, the board shows the new one's columns.
        "pipelines_stages": {"method": "GET", "path": "/api/v1/pipelines",
                             "extra_stages": EXTRA_STAGES},
        "ui_board_stages": {"method": "GET", "path": "/pipeline/?pipeline={pipeline}",
                            "login": seed.ADMIN_EMAIL, "extra_stages": EXTRA_STAGES},
        "ui_board_rep_stages": {"method": "GET", "path": "/pipeline/?pipeline={pipeline}",
                                "login": seed.REP_EMAIL, "extra_stages": EXTRA_STAGES},
    }  # fmt: skip
    if not heavy:
        del specs["ui_detail"]
    expected = {"create": 201, "log_call": 201}
    if only:
        specs = {key_: spec for key_, spec in specs.items() if key_ in only}
    done = subprocess.run(
        [sys.executable, "bench/sqlcheck.py", key], input=json.dumps(list(specs.values())),
        cwd=ROOT, env=server.env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"bench/sqlcheck.py failed:\n{done.stderr[-2000:]}")
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    notes = [
        f"SQL count: `{specs[key_]['method']} {specs[key_]['path']}` answered "
        f"{answer['status']}, not {expected.get(key_, 200)}; its count is not the scenario's."
        for key_, answer in zip(specs, answers, strict=True)
        if answer["status"] != expected.get(key_, 200)
    ]
    queries = {
        key_ + suffix: answer["normalized"] for key_, answer in zip(specs, answers, strict=True)
    }
    return queries, notes


def check_lookups(app: Server, key: str, files: dict) -> tuple[int | None, list[str]]:
    """The lookup scenarios must find what they ask for: the phone, written as lookup_lead.lua
    writes it, finds exactly its lead (checked on a few of them); and how many leads the q
    probe's search matches (the share shown in its target)."""
    headers = {"Authorization": f"Bearer {key}"}
    notes = []
    for line in files["lookups"].read_text().splitlines()[:5]:
        lead_id, phone = line.split("\t")
        url = f"{app.base_url}/api/v1/leads?phone={typed_phone(phone)}"
        found = requests.get(url, headers=headers, timeout=30)
        ids = [lead["id"] for lead in found.json().get("data", [])] if found.ok else []
        if ids != [lead_id]:
            notes.append(
                f"`GET /api/v1/leads?phone={typed_phone(phone)}` ({phone}) answered "
                f"{found.status_code} with {ids} instead of lead {lead_id}: the lookup scenarios "
                "do not measure a lookup that finds the lead."
            )
            break
    found = requests.get(
        f"{app.base_url}/api/v1/leads?q={SEARCH_QUERY}&limit=1", headers=headers, timeout=60
    )
    total = found.json()["pagination"]["total"] if found.ok else None
    if total is None:
        notes.append(f"`GET /api/v1/leads?q={SEARCH_QUERY}` answered {found.status_code}.")
    return total, notes


def deep_pages(app: Server, key: str) -> tuple[dict[str, str], list[str]]:
    """The deep-page probes' paths: every lead since before the seed at offset DEEP_OFFSET,
    and the same rows by cursor (the next_cursor of the page that ends where they start)."""
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=seed.SEED_DAYS + 2)).date().isoformat()
    base = f"/api/v1/leads?from_date={since}"
    found = requests.get(
        f"{app.base_url}{base}&offset={DEEP_OFFSET - 50}&limit=50",
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )
    cursor = found.json()["pagination"].get("next_cursor") if found.ok else None
    paths = {"offset": f"{base}&offset={DEEP_OFFSET}"}
    if cursor is None:
        return paths, [f"`GET {base}&offset={DEEP_OFFSET - 50}` gave no next_cursor "
                       f"({found.status_code}): no deep page by cursor."]  # fmt: skip
    paths["cursor"] = f"{base}&cursor={cursor}"
    for name, path in paths.items():
        page = requests.get(
            f"{app.base_url}{path}", headers={"Authorization": f"Bearer {key}"}, timeout=120
        )
        if not page.ok or not page.json()["data"]:
            return {}, [f"The deep page by {name} answered {page.status_code} with no rows."]
    return paths, []


def check_raw_baseline(app: Server, raw: Server, key: str, app_sql: list[str]) -> list[str]:
    """The raw app must send the app's SQL and answer with the app's body."""
    from bench import raw_app

    notes = []
    for name, sql in (
        ("COUNT", raw_app.COUNT_SQL), ("page", raw_app.PAGE_SQL), ("key lookup", raw_app.KEY_SQL)
    ):  # fmt: skip
        if sql not in app_sql:
            notes.append(f"The raw baseline's {name} query differs from the app's: {app_sql}")
    auth = {"Authorization": f"Bearer {key}"}
    mine = requests.get(raw.base_url + "/api/v1/leads", timeout=30).json()
    keyed = requests.get(raw.base_url + "/keyed/api/v1/leads", headers=auth, timeout=30)
    theirs = requests.get(app.base_url + "/api/v1/leads", headers=auth, timeout=30).json()
    if not keyed.ok or keyed.json() != mine:
        notes.append(f"The raw baseline's keyed list answered {keyed.status_code}, not its list")
    if mine != theirs:
        same_keys = mine["data"] and set(mine["data"][0]) == set(theirs["data"][0])
        notes.append(
            "The raw baseline's body differs from the app's"
            + ("" if same_keys else f" (app fields: {sorted(theirs['data'][0])})")
        )
    return notes


# --- UI pages -------------------------------------------------------------------------------


def login(
    base_url: str, email: str = seed.ADMIN_EMAIL, password: str = seed.ADMIN_PASSWORD
) -> str | None:
    """Log in through the real form; returns the session id or None."""
    page = requests.get(base_url + "/login/", timeout=30)
    if page.status_code != 200:
        return None
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    cookie_token = re.search(r"csrftoken=([^;]+)", page.headers.get("Set-Cookie", ""))
    if not form_token or not cookie_token:
        return None
    # The cookies are Secure (DEBUG off), so they are sent back by hand over plain HTTP.
    response = requests.post(
        base_url + "/login/",
        data={
            "username": email,
            "password": password,
            "csrfmiddlewaretoken": form_token.group(1),
            "next": "/leads/",
        },
        headers={"Cookie": f"csrftoken={cookie_token.group(1)}"},
        allow_redirects=False,
        timeout=30,
    )
    session = re.search(r"sessionid=([^;]+)", response.headers.get("Set-Cookie", ""))
    return session.group(1) if response.status_code == 302 and session else None


def ui_availability(base_url: str, sessions: dict, dbname: str, heavy: str) -> dict:
    """Which pages exist yet: /leads/ must list leads, /leads/<id>/ must show the lead, and
    /pipeline/ must show the newest card of each column (the admin's, and the rep's own)."""
    session = sessions.get("session")
    if session is None:
        reason = "login at /login/ failed"
        return {"list": reason, "detail": reason, "board": reason, "board_rep": reason}
    cookie = {"Cookie": f"sessionid={session}"}
    with psycopg.connect(seed.dsn(dbname)) as conn:
        newest = conn.execute(
            "SELECT id::text, name FROM leads_lead ORDER BY created_at DESC LIMIT 25"
        ).fetchall()
        name = conn.execute("SELECT name FROM leads_lead WHERE id = %s", [heavy]).fetchone()[0]
    found = {}
    page = requests.get(base_url + "/leads/", headers=cookie, timeout=60, allow_redirects=False)
    shown = sum(lead_id in page.text for lead_id, _ in newest)
    if page.status_code != 200:
        found["list"] = f"not available yet (/leads/ answered {page.status_code})"
    elif shown < 5:
        found["list"] = "not available yet (/leads/ does not list the newest leads)"
    page = requests.get(
        f"{base_url}/leads/{heavy}/", headers=cookie, timeout=60, allow_redirects=False
    )
    if page.status_code != 200:
        found["detail"] = f"not available yet (/leads/<id>/ answered {page.status_code})"
    elif name not in page.text:
        found["detail"] = "not available yet (the page does not show the lead)"
    boards = (("board", session, None),
              ("board_rep", sessions.get("session_rep"), seed.REP_EMAIL))  # fmt: skip
    for key, user_session, email in boards:
        if user_session is None:
            found[key] = f"login at /login/ as {email} failed"
            continue
        if why := board_missing(base_url, user_session, dbname, email):
            found[key] = why
    return found


def board_missing(base_url: str, session: str, dbname: str, email: str | None) -> str:
    """Why /pipeline/ is not the board yet ("" if it is): it must answer 200 and show, in every
    stage of the default pipeline, the card of the lead (that `email` sees) that entered it
    last — the first card of each column."""
    visible = "" if email is None else (
        "AND l.assigned_to_id = (SELECT id FROM accounts_user WHERE email = %(email)s)"
    )  # fmt: skip
    with psycopg.connect(seed.dsn(dbname)) as conn:
        newest = conn.execute(
            "SELECT DISTINCT ON (s.position) l.id::text FROM leads_lead l "
            "JOIN pipelines_stage s ON s.id = l.stage_id "
            "JOIN pipelines_pipeline p ON p.id = s.pipeline_id "
            f"WHERE p.is_default AND s.archived_at IS NULL {visible} "
            "ORDER BY s.position, l.stage_entered_at DESC, l.id DESC",
            {"email": email},
        ).fetchall()
    page = requests.get(
        base_url + "/pipeline/", headers={"Cookie": f"sessionid={session}"}, timeout=60,
        allow_redirects=False,
    )  # fmt: skip
    if page.status_code != 200:
        return f"not available yet (/pipeline/ answered {page.status_code})"
    shown = sum(lead_id in page.text for (lead_id,) in newest)
    if shown < len(newest):
        return (
            f"not available yet (/pipeline/ shows the first card of {shown} of its "
            f"{len(newest)} columns)"
        )
    return ""


def check_pipelines(app: Server, key: str, dbname: str) -> list[str]:
    """`GET /api/v1/pipelines` must count every lead (the key's user is the admin) in the
    stage it is in, and sum its deal value there."""
    with psycopg.connect(seed.dsn(dbname)) as conn:
        expected = {
            stage_id: (count, float(total))
            for stage_id, count, total in conn.execute(
                "SELECT stage_id::text, count(*), coalesce(sum(deal_value), 0) FROM leads_lead "
                "GROUP BY stage_id"
            ).fetchall()
        }
    found = requests.get(
        app.base_url + "/api/v1/pipelines", headers={"Authorization": f"Bearer {key}"}, timeout=60
    )
    if found.status_code != 200:
        return [f"`GET /api/v1/pipelines` answered {found.status_code}."]
    counted = {
        stage["id"]: (stage["lead_count"], float(stage["deal_value_total"]))
        for pipeline in found.json()["data"]
        for stage in pipeline["stages"]
    }
    wrong = [
        f"stage {stage_id}: {counted.get(stage_id, (0, 0.0))} instead of {want}"
        for stage_id, want in expected.items()
        if counted.get(stage_id) is None
        or counted[stage_id][0] != want[0]
        or abs(counted[stage_id][1] - want[1]) > 0.01
    ]
    if wrong:
        return ["`GET /api/v1/pipelines` counts (leads, deal value) " + "; ".join(wrong[:6])]
    return []


# --- running scenarios ----------------------------------------------------------------------


class Runner:
    """Runs scenarios round by round, all servers up, so that a burst of other load on the
    machine hits one round of one scenario rather than all of a scenario's time."""

    def __init__(self, plan: Plan, servers: dict[str, Server], headers: dict):
        self.plan, self.servers, self.headers = plan, servers, headers
        self.nonce = random.randrange(1000)
        self.quiet_left = plan.quiet_budget
        self.subscription: hooks.Subscription | None = None  # for webhook scenarios
        self.merges = random.randrange(10**6)  # merge_lead.lua's nonce

    def _wrk(self, scenario: Scenario, seconds: float, label: str) -> WrkResult:
        connections = scenario.connections or self.plan.connections
        args = scenario.script_args
        if scenario.script in FRESH_PHONE_SCRIPTS:  # a fresh phone range for every wrk run
            self.nonce = (self.nonce + 1) % 1000
            args = (str(self.nonce),)
        elif scenario.script in NONCE_SCRIPTS:
            self.merges += 1
            args = (*args, str(self.merges))
        return harness.wrk(
            self.servers[scenario.server].base_url + scenario.path, script=scenario.script,
            script_args=args, seconds=seconds, threads=min(self.plan.threads, connections),
            connections=connections, headers=self.headers.get(scenario.auth), label=label,
        )  # fmt: skip

    def drain(self, scenario: Scenario) -> None:
        """Let the server finish what wrk left in flight (a dropped request still runs to its
        end in a sync worker): with 100-lead requests that is seconds of work, which would
        otherwise land in the next measurement, or after the round's cleanup."""
        if scenario.drain:
            self.servers[scenario.server].wait_idle()

    def wait_for_quiet(self) -> None:
        if self.plan.quiet_wait and self.quiet_left > 0:
            limit = min(self.plan.quiet_wait, self.quiet_left)
            self.quiet_left -= harness.wait_for_quiet(list(self.servers.values()), limit)

    def run_round(self, outcome: Outcome, round_: int, seconds: float | None = None) -> None:
        if not outcome.scenario.webhook:
            self._run_round(outcome, round_, seconds)
            return
        if self.subscription is None:
            raise RuntimeError(f"{outcome.scenario.key} needs the bench's webhook subscription")
        self.subscription.set_enabled(True)
        try:
            self._run_round(outcome, round_, seconds)
        finally:
            self.subscription.set_enabled(False)

    def _run_round(self, outcome: Outcome, round_: int, seconds: float | None = None) -> None:
        scenario = outcome.scenario
        self.wait_for_quiet()
        if round_ == 0 and self.plan.warmup:
            self._wrk(scenario, self.plan.warmup, f"{scenario.key} warm-up")
            self.drain(scenario)
        if seconds is None:
            seconds = self.plan.probe_seconds if outcome.probe else self.plan.seconds
            seconds = max(seconds, scenario.min_seconds)
        queued = 0
        if scenario.webhook:  # messages per request: the warm-up's dropped requests done first
            self.servers[scenario.server].wait_idle(limit=5)
            queued = self.subscription.messages()
        with CpuMeter(list(self.servers.values())) as meter:
            result = self._wrk(scenario, seconds, f"{scenario.key} round {round_ + 1}")
        self.drain(scenario)
        if scenario.webhook:
            self.servers[scenario.server].wait_idle(limit=5)
            outcome.messages += self.subscription.messages() - queued
        outcome.rounds.append(Round(result, meter.foreign_cores, meter.cpu_seconds))
        flag = "" if result.unexpected(scenario.expected) == 0 else "  <-- UNEXPECTED RESPONSES"
        app_ms = 1000 * meter.cpu_seconds["app"] / max(1, result.requests)
        db_ms = 1000 * meter.cpu_seconds["db"] / max(1, result.requests)
        say(
            f"  {scenario.label:<40} {result.rps:7.1f} req/s  p50 {result.ms('p50'):6.1f} ms  "
            f"p99 {result.ms('p99'):6.1f} ms  CPU/req app {app_ms:5.1f} db {db_ms:4.1f} ms  "
            f"other load {meter.foreign_cores:4.2f}  "
            f"{result.describe_statuses(scenario.expected)}{flag}"
        )

    def run_all(self, outcomes: list[Outcome], reset=None) -> None:
        """Reads first, then writes, then `reset()`: every round starts from the same data."""
        ordered = sorted(outcomes, key=lambda o: (o.scenario.writes, o.scenario.last))
        for round_ in range(self.plan.rounds):
            say(f"round {round_ + 1} of {self.plan.rounds}")
            round_started = dt.datetime.now(dt.UTC)
            for outcome in ordered:
                self.run_round(outcome, round_)
            if reset is not None:
                reset(round_started)


def sweep(plan: Plan, env: dict, headers: dict) -> list[tuple[str, Outcome]]:
    """List leads under each worker config (all servers up at once, rounds interleaved)."""
    scenario_for = {}
    servers = {}
    try:
        for i, config in enumerate(harness.WORKER_CONFIGS.values()):
            servers[config.name] = Server(f"sweep-{config.name}", APP, 8811 + i, config, env)
            servers[config.name].start()
            scenario_for[config.name] = Scenario(
                "sweep", f"list leads, {config.name}", "GET /api/v1/leads", "/api/v1/leads",
                200, server=config.name,
            )  # fmt: skip
        outcomes = {name: Outcome(scenario) for name, scenario in scenario_for.items()}
        Runner(plan, servers, headers).run_all(list(outcomes.values()))
    finally:
        for server in servers.values():
            server.stop()
    return list(outcomes.items())


def quiet_rps(outcome: Outcome, threshold: float = 0.3) -> float:
    """Best req/s among the rounds the rest of the machine left alone (0 if none did)."""
    quiet = [r.result.rps for r in outcome.rounds if r.foreign_cores < threshold]
    return max(quiet, default=0.0)


def sweep_winner(rows: list[tuple[str, Outcome]]) -> str:
    """The config with the most req/s in a quiet round; by plain best round if none was quiet."""
    if any(quiet_rps(outcome) for _, outcome in rows):
        return max(rows, key=lambda row: quiet_rps(row[1]))[0]
    return max(rows, key=lambda row: row[1].result.rps)[0]


def profile_scenario(runner: Runner, scenario: Scenario) -> profiling.Profile:
    server = runner.servers[scenario.server]
    wall_raw = RESULTS / f"profile-{scenario.key}-wall.raw"
    cpu_raw = RESULTS / f"profile-{scenario.key}-cpu.raw"
    seconds = runner.plan.profile_seconds
    runner.wait_for_quiet()
    recorders = [
        profiling.record(server.process.pid, seconds, wall_raw, idle=True),
        profiling.record(server.process.pid, seconds, cpu_raw, idle=False),
    ]
    time.sleep(1.0)  # let py-spy attach before the load starts
    runner._wrk(scenario, seconds + 2, f"{scenario.key} profile")
    for recorder in recorders:
        _, err = recorder.communicate(timeout=60)
        if recorder.returncode != 0:
            raise RuntimeError(f"py-spy failed: {err.decode()[-500:]}")
    return profiling.summarize(wall_raw, cpu_raw)


def build_scenarios(
    files: dict, small_files: dict, heavy: str, processes: int, deep: dict[str, str]
) -> list[Scenario]:
    lookups = str(files["lookups"])
    phone_request = "GET /api/v1/leads?phone=0XXXXX%20XXXXX (1,000 leads in turn, 0 + national)"
    return [
        Scenario("floor", "framework floor (bare Django view)", "GET /bench/floor",
                 "/bench/floor", 200, auth="none"),
        Scenario("raw", "data floor (raw WSGI + psycopg)", "GET /api/v1/leads (raw app)",
                 "/api/v1/leads", 200, server="raw", auth="none"),
        Scenario("raw_keyed", "data floor + key lookup and rate count (raw WSGI + psycopg + "
                 "Redis)", "GET /keyed/api/v1/leads (raw app, the bench's API key)",
                 "/keyed/api/v1/leads", 200, server="raw"),
        Scenario("list", "list leads", "GET /api/v1/leads", "/api/v1/leads", 200),
        Scenario("list_filtered", "list leads filtered", "GET /api/v1/leads?status=New&source=IVR",
                 "/api/v1/leads?status=New&source=IVR", 200),
        Scenario("list_500", "list leads limit=500", "GET /api/v1/leads?limit=500",
                 "/api/v1/leads?limit=500", 200),
        Scenario("lookup_phone", "look a lead up by phone", phone_request, "/api/v1/leads", 200,
                 script="lookup_lead.lua", script_args=("phone", lookups)),
        Scenario("lead_get", "get a lead", "GET /api/v1/leads/{id} (1,000 leads in turn)",
                 "/api/v1/leads", 200, script="lookup_lead.lua", script_args=("id", lookups)),
        Scenario("create", "create lead", "POST /api/v1/leads (new phone)", "/api/v1/leads", 201,
                 script="create_lead.lua"),
        Scenario("create_hook", "create lead, 1 webhook subscription",
                 "POST /api/v1/leads (new phone; 1 subscription, no worker)", "/api/v1/leads",
                 201, script="create_lead.lua", webhook=True, twin="create"),
        # Two requests per worker keep every worker busy; 16 would queue for seconds.
        Scenario("bulk", f"bulk create, {BULK_SIZE} leads a request",
                 f"POST /api/v1/leads/bulk ({BULK_SIZE} new phones)", "/api/v1/leads/bulk", 200,
                 script="bulk_leads.lua", connections=2 * processes, items=BULK_SIZE,
                 check=f"{BULK_SIZE} created each", last=True, min_seconds=BULK_SECONDS,
                 drain=True),
        Scenario("merge", "merge lead", "POST /api/v1/leads (existing phone)", "/api/v1/leads",
                 200, script="merge_lead.lua", script_args=(str(files["merge"]),)),
        Scenario("merge_hook", "merge lead, 1 webhook subscription",
                 "POST /api/v1/leads (existing phone; 1 subscription, no worker)",
                 "/api/v1/leads", 200, script="merge_lead.lua",
                 script_args=(str(files["merge"]),), webhook=True, twin="merge"),
        Scenario("merge_1k", "merge lead @1k leads", "POST /api/v1/leads (existing phone)",
                 "/api/v1/leads", 200, server="small", auth="small", script="merge_lead.lua",
                 script_args=(str(small_files["merge"]),)),
        Scenario("calls", "list call logs", "GET /api/v1/call-logs", "/api/v1/call-logs", 200),
        Scenario("log_call", "log a call", "POST /api/v1/call-logs", "/api/v1/call-logs", 201,
                 script="log_call.lua", script_args=(str(files["calls"]),)),
        Scenario("log_call_hook", "log a call, 1 webhook subscription",
                 "POST /api/v1/call-logs (1 subscription, no worker)", "/api/v1/call-logs", 201,
                 script="log_call.lua", script_args=(str(files["calls"]),), webhook=True,
                 twin="log_call"),
        # Latency probes: one request at a time, so latency = server time.
        Scenario("raw_probe", "data floor, 1 connection", "GET /api/v1/leads (raw app)",
                 "/api/v1/leads", 200, server="raw", auth="none", connections=1),
        Scenario("list_probe", "list leads, 1 connection", "GET /api/v1/leads", "/api/v1/leads",
                 200, connections=1),
        # Issue #13: what must stay flat from 100k to 1M leads, one request at a time.
        Scenario("list_filtered_probe", "list leads filtered, 1 connection",
                 "GET /api/v1/leads?status=New&source=IVR",
                 "/api/v1/leads?status=New&source=IVR", 200, connections=1),
        Scenario("calls_probe", "list call logs, 1 connection", "GET /api/v1/call-logs",
                 "/api/v1/call-logs", 200, connections=1),
        *(Scenario(f"{name}_probe", f"analytics {name}, 1 connection",
                   f"GET /api/v1/analytics/{name}", f"/api/v1/analytics/{name}", 200,
                   connections=1) for name in ANALYTICS),
        *(Scenario(f"deep_{how}_probe", f"deep page by {how}, 1 connection",
                   "GET /api/v1/leads?from_date=(before the seed)&"
                   + (f"offset={DEEP_OFFSET:,}" if how == "offset"
                      else f"cursor=(next_cursor at offset {DEEP_OFFSET:,})"),
                   path, 200, connections=1) for how, path in deep.items()),
        Scenario("lookup_phone_probe", "look a lead up by phone, 1 connection", phone_request,
                 "/api/v1/leads", 200, script="lookup_lead.lua", script_args=("phone", lookups),
                 connections=1),
        Scenario("lead_get_probe", "get a lead, 1 connection",
                 "GET /api/v1/leads/{id} (1,000 leads in turn)", "/api/v1/leads", 200,
                 script="lookup_lead.lua", script_args=("id", lookups), connections=1),
        Scenario("search_probe", f"search q={SEARCH_QUERY}, 1 connection",
                 f"GET /api/v1/leads?q={SEARCH_QUERY} (as in Priya)",
                 f"/api/v1/leads?q={SEARCH_QUERY}", 200, connections=1),
        Scenario("merge_probe", "merge lead, 1 connection", "POST /api/v1/leads (existing phone)",
                 "/api/v1/leads", 200, script="merge_lead.lua",
                 script_args=(str(files["merge"]),), connections=1),
        Scenario("merge_1k_probe", "merge lead @1k leads, 1 connection",
                 "POST /api/v1/leads (existing phone)", "/api/v1/leads", 200, server="small",
                 auth="small", script="merge_lead.lua", script_args=(str(small_files["merge"]),),
                 connections=1),
        Scenario("ui_list", "UI /leads/ page, 1 connection", "GET /leads/ (session)", "/leads/",
                 200, auth="session", connections=1),
        Scenario("ui_detail", "UI lead page (200 calls), 1 connection",
                 "GET /leads/<id>/ (session)", f"/leads/{heavy}/", 200, auth="session",
                 connections=1),
        # Pipelines: every lead in a stage, counted and summed per stage (no date window).
        Scenario("pipelines_probe", "list pipelines, 1 connection",
                 "GET /api/v1/pipelines (stage counts and sums)", "/api/v1/pipelines", 200,
                 connections=1),
        Scenario("ui_board", "UI /pipeline/ board, 1 connection",
                 "GET /pipeline/ (session; 6 stages, 50 cards each)", "/pipeline/", 200,
                 auth="session", connections=1),
        Scenario("ui_board_rep", "UI /pipeline/ board as a rep, 1 connection",
                 "GET /pipeline/ (a sales rep's session: their leads)", "/pipeline/", 200,
                 auth="session_rep", connections=1),
    ]  # fmt: skip


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop our servers on the way out
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true",
        help="short smoke run (~3 min), reported to results/quick.md.raw, not latest.md",
    )  # fmt: skip
    parser.add_argument("--leads", type=int, default=100_000, help="leads in the main DB")
    parser.add_argument("--calls", type=int, help="call logs in the main DB (default 3×leads)")
    parser.add_argument("--small-leads", type=int, default=1_000, help="leads in the small DB")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per scenario (3)")
    parser.add_argument("--seconds", type=float, help="seconds per round of a load scenario (5)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", choices=sorted(harness.WORKER_CONFIGS), help="skip sweep")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profiles")
    parser.add_argument(
        "--quiet-wait", type=float,
        help="max seconds to wait before each round for other processes to go quiet "
        "(default 5, --quick 3; 0 = don't wait)",
    )  # fmt: skip
    parser.add_argument("--reseed", action="store_true", help="reseed even if counts match")
    parser.add_argument("--db", default="crm_bench", help="main database name")
    parser.add_argument(
        "--out", default="latest",
        help="report name: results/NAME.md and NAME.json (the 1M run: --out 1m)",
    )  # fmt: skip
    parser.add_argument(
        "--webhook-messages", type=int,
        help="messages the webhook delivery scenario queues (2,000; --quick 300)",
    )  # fmt: skip
    args = parser.parse_args()
    plan = Plan.from_args(args)
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "wrk.raw").write_text(f"wrk runs of {started.isoformat()}\n")

    harness.ensure_wrk()
    check_services()
    small_db = f"{args.db}_1k"
    calls = args.calls if args.calls is not None else 3 * args.leads
    data: dict[str, seed.SeedInfo] = {}
    sizes = ((args.db, args.leads, calls), (small_db, args.small_leads, 3 * args.small_leads))
    for dbname, n_leads, n_calls in sizes:
        info = seed.seed(dbname, n_leads, n_calls, force=args.reseed)
        if info.reused:
            say(f"reusing {dbname}: row counts match ({n_leads:,} leads, {n_calls:,} calls, "
                f"seeded {info.seeded_at})")  # fmt: skip
        else:
            say(f"seeded {dbname}: {n_leads:,} leads, {n_calls:,} calls in {info.seconds:.1f}s")
        with psycopg.connect(seed.dsn(dbname), autocommit=True) as conn:
            seed.vacuum_analyze(conn)
        data[dbname] = info

    env = harness.app_env(seed.dsn(args.db))
    say("collectstatic --noinput (DEBUG off serves the manifest)")
    harness.manage("collectstatic", "--noinput", "-v0", database_url=seed.dsn(args.db))
    key, small_key = new_api_key(args.db), new_api_key(small_db)
    files = write_data_files(args.db, data[args.db].heavy_lead_id)
    small_files = write_data_files(small_db, data[small_db].heavy_lead_id)
    heavy = data[args.db].heavy_lead_id
    headers = {
        "key": {"Authorization": f"Bearer {key}"},
        "small": {"Authorization": f"Bearer {small_key}"},
        "none": None,
    }

    outcomes: dict[str, Outcome] = {}
    sweep_rows: list[tuple[str, Outcome]] = []
    queries: dict[str, list[str]] = {}
    search_matches: int | None = None
    profiles: dict[str, profiling.Profile] = {}
    notes: list[str] = []
    servers: dict[str, Server] = {}
    delivery: dict = {}  # the webhook delivery measurements, and their processes
    try:
        if plan.sweep:
            say("worker configs: list leads under each, interleaved")
            sweep_rows = sweep(plan, env, headers)
            chosen = sweep_winner(sweep_rows)
        else:
            chosen = args.workers or "sync-2"  # the sweep's usual winner on 2 cores
        config = harness.WORKER_CONFIGS[chosen]
        say(f"worker config: {config.describe}")
        servers = {
            "app": Server("app", APP, PORTS["app"], config, env),
            "raw": Server("raw", RAW_APP, PORTS["raw"], config, env),
            "small": Server(
                "small", APP, PORTS["small"], config, harness.app_env(seed.dsn(small_db))
            ),
        }
        servers["app"].start()
        servers["raw"].start(ready_path="/api/v1/leads")
        servers["small"].start()
        queries, sql_notes = count_queries(servers["app"], key, files, heavy=heavy)
        notes += sql_notes
        # The pipeline requests at 1k leads: the same SQL whatever the number of leads.
        small_queries, sql_notes = count_queries(
            servers["small"], small_key, small_files, only=CONSTANT_SQL, suffix="_1k"
        )
        queries.update(small_queries)
        notes += sql_notes
        notes += check_raw_baseline(servers["app"], servers["raw"], key, queries["list"])
        search_matches, lookup_notes = check_lookups(servers["app"], key, files)
        notes += lookup_notes
        deep, deep_notes = deep_pages(servers["app"], key)
        notes += deep_notes
        notes += check_pipelines(servers["app"], key, args.db)
        # The SQL count wrote leads (create, bulk) and events: round 1 starts without them.
        for dbname, info in data.items():
            seed.cleanup_after_run(dbname, added_since(info, started))
            with psycopg.connect(seed.dsn(dbname), autocommit=True) as conn:
                seed.vacuum_analyze(conn)
        # Issue #11: the subscription the webhook scenarios enable, and their SQL with it on.
        subscription = hooks.create_subscription(seed.dsn(args.db))
        hooks_started = dt.datetime.now(dt.UTC)
        subscription.set_enabled(True)
        try:
            hook_queries, sql_notes = count_queries(
                servers["app"], key, files, only=("create", "merge", "log_call"), suffix="_hook"
            )
        finally:
            subscription.set_enabled(False)
        queries.update(hook_queries)
        notes += sql_notes
        seed.cleanup_after_run(args.db, hooks_started)
        sessions = {
            "session": login(servers["app"].base_url),
            "session_rep": login(servers["app"].base_url, seed.REP_EMAIL, seed.REP_PASSWORD),
        }
        for auth, session in sessions.items():
            headers[auth] = {"Cookie": f"sessionid={session}"} if session else None
        missing = ui_availability(servers["app"].base_url, sessions, args.db, heavy)
        scenarios = build_scenarios(files, small_files, heavy, config.processes, deep)
        for scenario in scenarios:
            outcomes[scenario.key] = Outcome(scenario)
            if scenario.key.startswith("ui_") and (why := missing.get(scenario.key[3:])):
                outcomes[scenario.key].note = why
                say(f"  {scenario.label:<40} {why}")
        runner = Runner(plan, servers, headers)
        runner.subscription = subscription

        def reset(since: dt.datetime) -> None:
            """Undo the round's writes and vacuum, as autovacuum would in time: new rows and
            dead row versions would otherwise make the next round's COUNT visit the heap."""
            for dbname in data:
                seed.cleanup_after_run(dbname, since)
                with psycopg.connect(seed.dsn(dbname), autocommit=True) as conn:
                    seed.vacuum_analyze(conn)

        runner.run_all([o for o in outcomes.values() if not o.note], reset)
        if plan.profile_seconds:
            for key_ in ("list", "merge"):
                say(f"profiling {key_} with py-spy ({plan.profile_seconds}s)")
                profiles[key_] = profile_scenario(runner, outcomes[key_].scenario)
        delivery = measure_delivery(plan, args, subscription, servers["app"], key, config)
    finally:
        for process in (delivery.get("workers"), delivery.get("receiver")):
            if process is not None:
                process.stop()
        for server in servers.values():
            server.stop()
        for dbname, info in data.items():
            seed.cleanup_after_run(dbname, added_since(info, started))

    context = {
        "args": sys.argv[1:],
        "started": started,
        "load": (load_before, os.getloadavg()),
        "plan": plan,
        "config": config,
        "sweep": sweep_rows,
        "configs": {name: c.describe for name, c in harness.WORKER_CONFIGS.items()},
        "data": data,
        "outcomes": outcomes,
        "profiles": profiles,
        "notes": notes,
        "queries": queries,
        "search": {"query": SEARCH_QUERY, "matches": search_matches, "leads": args.leads},
        "webhooks": {k: v for k, v in delivery.items() if k in ("throughput", "latency")},
        "versions": versions(),
    }
    text = report.render(context)
    # A smoke run never replaces the committed report: it goes where git ignores it.
    written = (
        (RESULTS / "quick.md.raw", RESULTS / "quick.json.raw")
        if args.quick
        else (RESULTS / f"{args.out}.md", RESULTS / f"{args.out}.json")
    )
    written[0].write_text(text)
    written[1].write_text(json.dumps(report.as_json(context), indent=2) + "\n")
    print()
    print(text)
    say(f"wrote {written[0]} and {written[1].name} (raw output: {RESULTS}/*.raw)")


def measure_delivery(
    plan: Plan, args, subscription: hooks.Subscription, app: Server, key: str, config
) -> dict:
    """Issue #11's delivery scenarios, after every other measurement: N messages queued with no
    worker running, then 2 db_workers deliver them to bench/receiver.py (throughput, first to
    last delivery); then, the workers idle, leads created one at a time (commit-to-delivery
    latency). Returns the figures and the processes (the caller stops them)."""
    found: dict = {}
    size = "quick" if args.quick else "full"
    messages = args.webhook_messages or hooks.THROUGHPUT_MESSAGES[size]
    leads = hooks.LATENCY_LEADS[size]
    found["receiver"] = receiver = hooks.Receiver(subscription.secret).start()
    subscription.set_enabled(True)
    try:
        say(f"webhook delivery: queueing {messages:,} messages (bulk creates), no worker running")
        throughput, workers = hooks.measure_throughput(
            subscription, receiver, app.base_url, key, messages, parallel=config.processes
        )
        found["workers"], found["throughput"] = workers, throughput
        say(
            f"  {hooks.WORKERS} db_workers delivered {throughput.delivered:,} of "
            f"{throughput.queued:,} in {throughput.seconds:.1f}s: "
            f"{throughput.per_second:,.0f} messages/s (states {throughput.states})"
        )
        time.sleep(1.0)  # the workers are idle: nothing queued, polling every 0.1 s
        say(f"webhook latency: {leads} creates, {hooks.LATENCY_SPACING * 1000:.0f} ms apart")
        latency = hooks.measure_latency(app.base_url, key, receiver, leads)
        found["latency"] = latency
        say(
            f"  commit → delivery p50 {latency.percentile(50):.0f} ms, "
            f"p95 {latency.percentile(95):.0f} ms ({len(latency.latencies_ms)} of {latency.sent})"
            if latency.latencies_ms
            else "  no latency measured"
        )
    finally:
        subscription.set_enabled(False)
    return found


def added_since(info: seed.SeedInfo, started: dt.datetime) -> dt.datetime:
    """Where the rows this run added begin: a data set seeded during the run ends at
    seeded_at."""
    seeded = dt.datetime.fromisoformat(info.seeded_at) + dt.timedelta(seconds=1)
    return max(started, seeded)


def versions() -> dict[str, str]:
    def out(*cmd: str) -> str:
        try:
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=30)
            return (done.stdout or done.stderr).strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    import django
    import gunicorn
    import rest_framework

    with psycopg.connect(seed.dsn("postgres")) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    dirty = out("git", "status", "--porcelain", "--untracked-files=no")
    return {
        "commit": out("git", "rev-parse", "--short", "HEAD")
        + (" + uncommitted changes" if dirty else ""),
        "python": platform.python_version(),
        "django": django.get_version(),
        "drf": rest_framework.VERSION,
        "gunicorn": gunicorn.__version__,
        "postgres": pg.split()[0],
        "redis": redis.Redis.from_url(harness.REDIS_URL).info("server")["redis_version"],
        "wrk": out("wrk", "-v").splitlines()[0].split(" [")[0] if out("wrk", "-v") else "?",
        "cpus": str(os.cpu_count()),
    }


if __name__ == "__main__":
    main()
