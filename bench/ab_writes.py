"""Issue #13's write target, measured on one machine: the CPU one create, merge and log-a-call
request costs at another commit (by default the commit before the issue) and at this working
tree, and here again with the per-day counts' writes left out (what they cost).

    .venv/bin/python bench/ab_writes.py [--before 1f89974] [--rounds 4] [--requests 800]

Each side gets its own database of the usual size, seeded by its own `bench/seed.py`, and its
own admin key. Each measurement is a fresh process of that side's code driving the WSGI app
in-process (no gunicorn, no wrk: nothing else shares the request's cost), 100 requests of
warm-up, then `--requests` measured: this process's CPU plus its PostgreSQL backend's (from
/proc), per request. Rounds interleave every kind and side, so a load that comes and goes
touches all of them; the report compares each one's cheapest round (other load only ever adds
CPU: the least a request took is the best estimate of what it costs, as timeit takes the
minimum) and lists every round. The requests are the
benchmark's: a create with a new phone, a merge re-sending an existing lead's phone and name (a
no-op: nothing to count), an outbound Completed call on an existing lead. Writes
results/ab-writes.md.
"""

import argparse
import datetime as dt
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BEFORE_13 = "1f89974"  # the commit before issue #13 (before-13.json)
KINDS = ("create", "merge", "call")
LABELS = {"create": "create lead", "merge": "merge lead", "call": "log a call"}
COUNTS_OFF = "after, counts not written"
TARGET = 1.10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE_13, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=800, help="measured per run")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the two databases")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ab-writes-"))
    before_tree = work / "before"
    git("worktree", "add", "--detach", str(before_tree), args.before)
    (before_tree / ".venv").symlink_to(ROOT / ".venv")
    sides = {"before": (before_tree, "crm_ab_before"), "after": (ROOT, "crm_ab_after")}
    try:
        keys = {name: prepare(tree, db, args.leads) for name, (tree, db) in sides.items()}
        runs: dict[tuple[str, str], list[dict]] = {}
        load = [os.getloadavg()[0]]
        variants = (("before", False), ("after", False), ("after", True))
        for _ in range(args.rounds):
            for kind in KINDS:
                for side, counts_off in variants:
                    tree, db = sides[side]
                    label = COUNTS_OFF if counts_off else side
                    result = drive(tree, db, keys[side], kind, args.requests, counts_off)
                    runs.setdefault((kind, label), []).append(result)
        load.append(os.getloadavg()[0])
        commit = git("rev-parse", "--short", "HEAD").strip()
        dirty = (
            " + uncommitted changes"
            if git("status", "--porcelain", "--untracked-files=no").strip()
            else ""
        )
        report = render(args, runs, f"{commit}{dirty}", load)
        (RESULTS / "ab-writes.md").write_text(report)
        print(report)
    finally:
        git("worktree", "remove", "--force", str(before_tree))
        shutil.rmtree(work, ignore_errors=True)
        if not args.keep:
            for _tree, db in sides.values():
                psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def psql(sql: str) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.seed import dsn

    subprocess.run(["psql", dsn("postgres"), "-qc", sql], check=True)


def prepare(tree: Path, db: str, leads: int) -> str:
    """Seed `db` with `tree`'s seeder and make its admin key; returns the key."""
    python = str(tree / ".venv" / "bin" / "python")
    subprocess.run(
        [python, "-m", "bench.seed", "--db", db, "--leads", str(leads)], cwd=tree, check=True
    )
    made = subprocess.run(
        [python, "-c", f"from bench import run; print(run.new_api_key({db!r}))"],
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    )
    return made.stdout.strip().splitlines()[-1]


def drive(tree: Path, db: str, key: str, kind: str, n: int, counts_off: bool) -> dict:
    """One measurement in a fresh process running `tree`'s code (this file's `--drive`)."""
    done = subprocess.run(
        [str(tree / ".venv" / "bin" / "python"), __file__, "--drive", kind, db, key, str(n)]
        + (["--counts-off"] if counts_off else []),
        cwd=tree,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} at {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def render(args, runs: dict, commit: str, load: list[float]) -> str:
    def best(kind: str, label: str) -> dict:
        return min(runs[(kind, label)], key=lambda run: run["app"] + run["db"])

    lines = [
        "# Writes' CPU before and after issue #13, one machine",
        "",
        f"Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `.venv/bin/python "
        f"bench/ab_writes.py --before {args.before} --rounds {args.rounds} --requests "
        f"{args.requests}`: before = {args.before}, after = {commit}; {args.leads:,} leads "
        f"each. Load average at the start / end: {load[0]:.2f} / {load[1]:.2f} (2 cores).",
        "",
        "CPU ms per request (the cheapest round): the app's process and its PostgreSQL backend, "
        "driving the WSGI app in-process (`bench/ab_writes.py` says how).",
        "",
        "| Request | Side | App | PostgreSQL | Total | Rounds (total) |",
        "|:---|:---|---:|---:|---:|:---|",
    ]
    for kind in KINDS:
        for label in ("before", "after", COUNTS_OFF):
            totals = " / ".join(f"{run['app'] + run['db']:.2f}" for run in runs[(kind, label)])
            app, db = best(kind, label)["app"], best(kind, label)["db"]
            lines.append(
                f"| {LABELS[kind]} | {label} | {app:.2f} | {db:.2f} | {app + db:.2f} | {totals} |"
            )
    lines += ["", "## Target", ""]
    for kind in KINDS:

        def total(label: str, kind: str = kind) -> float:
            return best(kind, label)["app"] + best(kind, label)["db"]

        ratio = total("after") / total("before")
        counts = total("after") / total(COUNTS_OFF)
        lines.append(
            f"- **{'PASS' if ratio <= TARGET else 'FAIL'}** {LABELS[kind]} costs {ratio:.2f}× "
            f"the CPU per request of {args.before} ({total('after'):.2f} vs "
            f"{total('before'):.2f} ms); target ≤ {TARGET:.2f}×. Of that, the per-day counts' "
            f"writes: {counts:.2f}× (vs {total(COUNTS_OFF):.2f} ms without them)."
        )
    lines += [
        "",
        "The rest of the difference is not the counts': the same requests now also send the "
        "statements later changes added (a new lead's routing rules and its stage's check, a "
        "call's look for an open call-back, a merge's lock of its lead taken apart from the "
        "read of the lead with its assignee and stage, core.locking.lock_rows: two queries "
        "where there was one, the lock now in SQL); the connection health check "
        "(`DATABASE_CONN_HEALTH_CHECKS`, on since) costs a round trip only when the server "
        "has spoken (core/postgresql). `bench/sqlcheck.py` prints a request's statements at "
        "either commit. This script does not measure each of them apart.",
        "",
    ]
    return "\n".join(lines)


# --- The driver: runs in a fresh process, with the code of the side it measures -------------


def drive_main(kind: str, db: str, key: str, n: int, counts_off: bool) -> None:
    import io

    sys.path.insert(0, os.getcwd())  # the side's tree, not this file's
    from bench import harness, seed

    os.environ.update(harness.app_env(seed.dsn(db)))
    import django

    django.setup()
    import psycopg
    from django.db import connection

    from config.wsgi import application

    if counts_off:
        import core.tally

        core.tally._write = lambda *args, **kwargs: None  # what they cost
    with psycopg.connect(seed.dsn(db)) as conn:
        leads = conn.execute(
            "SELECT id, phone_e164, name FROM leads_lead WHERE phone_e164 IS NOT NULL "
            "ORDER BY md5(id::text) LIMIT 1000"
        ).fetchall()
    targets = itertools.cycle(leads)
    # The seeded leads' numbers start with 7, 8 or 9 (bench/wrk/create_lead.lua's too with 6).
    phones = itertools.count(random.randrange(10**8, 9 * 10**8))

    def request() -> tuple[str, dict, str]:
        lead_id, phone, name = next(targets)
        if kind == "create":
            return "/api/v1/leads", {"name": "A/B lead", "phone": f"+916{next(phones)}"}, "201"
        if kind == "merge":
            return "/api/v1/leads", {"phone": phone, "name": name}, "200"
        call = {"lead_id": str(lead_id), "call_type": "Outbound", "duration_seconds": 42,
                "outcome": "Completed", "called_at": "2026-01-15T10:00:00+05:30"}  # fmt: skip
        return "/api/v1/call-logs", call, "201"

    def one() -> None:
        path, body, expected = request()
        data = json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "", "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000", "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)), "HTTP_AUTHORIZATION": f"Bearer {key}",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data), "wsgi.errors": sys.stderr,
        }  # fmt: skip
        status = []
        out = b"".join(application(environ, lambda s, headers: status.append(s)))
        if not status[0].startswith(expected):
            raise SystemExit(f"{kind}: {status[0]} {out[:300]!r}")

    for _ in range(100):
        one()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()

    def backend_cpu() -> float:
        fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    started, started_db = time.process_time(), backend_cpu()
    for _ in range(n):
        one()
    app = (time.process_time() - started) / n * 1000
    db_cpu = (backend_cpu() - started_db) / n * 1000
    print(json.dumps({"app": round(app, 3), "db": round(db_cpu, 3)}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--drive":
        drive_main(
            sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), "--counts-off" in sys.argv
        )
    else:
        main()
