"""Where a request's time goes: py-spy samples the gunicorn workers (wall clock, idle included,
so time spent waiting on PostgreSQL or Redis counts) while wrk drives one scenario; each sample
inside gunicorn's handle_request is put in the first bucket its stack matches, from the
innermost frame out. A second py-spy, run at the same time without --idle, sees only the
samples where the worker was on the CPU: the difference is time spent blocked (waiting on
PostgreSQL, Redis, or for a CPU the other processes hold)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PY_SPY = Path(sys.executable).with_name("py-spy")

# (bucket, substring of a py-spy frame "function (path:line)"), checked innermost frame first.
RULES: list[tuple[str, str]] = [
    ("auth: API key lookup (SQL)", "apikey_lookup (apikeys/selectors.py"),
    ("auth: last_used_at UPDATE", "apikey_touch (apikeys/services.py"),
    ("auth: rest (header parse, SHA-256, checksum)", "authenticate (api/authentication.py"),
    ("rate limit: Redis INCR", "allow_request (api/throttling.py"),
    ("list: rows converted (core/sql.py)", "as_dicts (core/sql.py"),
    ("list: COUNT(*) + page queries (SQL)", "lead_list (leads/selectors.py"),
    ("COUNT(*) query", "get_count (rest_framework/pagination.py"),
    ("page query (SQL, rows)", "paginate_queryset ("),
    ("filters (form validation, IST window)", "validated (core/listing.py"),
    ("filters (django-filter form, IST window)", "filter_queryset ("),
    ("serializer validation (DRF fields)", "is_valid (rest_framework/serializers.py"),
    ("lead rules (field cleaning, phonenumbers…)", "clean_lead_fields (leads/rules.py"),
    ("lead rules (field cleaning, phonenumbers…)", "normalize_phone (leads/rules.py"),
    ("lead rules (field cleaning, phonenumbers…)", "check_contact (leads/rules.py"),
    ("merge: SELECT … FOR UPDATE", "_matches (leads/services.py"),
    ("lead save (merge: UPDATE, create: INSERT)", "save (leads/models.py"),
    ("create: rest of _create", "_create (leads/services.py"),
    ("event INSERT", "record_event (events/services.py"),
    ("event changes (diff)", "diff (events/services.py"),
    ("COMMIT", "__exit__ (django/db/transaction.py"),
    ("lead representation (leads/representation.py)", "represent (leads/representation.py"),
    ("lead representation (leads/representation.py)", "lead_row (leads/representation.py"),
    ("response serialization (DRF around represent)", "data (rest_framework/serializers.py"),
    ("JSON rendering (orjson)", "rendered_content (rest_framework/response.py"),
    ("JSON rendering (orjson)", "render (api/renderers.py"),
    ("DB connection checks (health-check SELECT 1, close_old_connections)", "django/db/__init__"),
    ("DB connection checks (health-check SELECT 1, close_old_connections)", "is_usable ("),
]
# What is left is charged to the innermost framework layer it is in.
LAYERS: list[tuple[str, str]] = [
    ("DRF view machinery (Request, negotiation, permissions)", "rest_framework/"),
    ("Django middleware, URL routing, request/response objects", "django/"),
    ("gunicorn (HTTP parsing, socket I/O)", "gunicorn/"),
]
IN_REQUEST = "handle_request (gunicorn/workers/"


@dataclass
class Profile:
    samples: int
    buckets: list[tuple[str, float, float]]  # (bucket, % of request time, % of it blocked)
    blocked_pct: float


def record(pid: int, seconds: int, out: Path, *, idle: bool, rate: int = 200) -> subprocess.Popen:
    """Start sampling `pid` and its worker processes; wait() on the returned process."""
    cmd = [str(PY_SPY), "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
    cmd += ["--rate", str(rate), "--duration", str(seconds), "--format", "raw"]
    cmd += ["--output", str(out), *(["--idle"] if idle else [])]
    return subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _count(raw: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit() or IN_REQUEST not in stack:
            continue
        frames = stack.split(";")
        frames = frames[next(i for i, f in enumerate(frames) if IN_REQUEST in f) + 1 :]
        counts[_bucket(frames)] += int(n)
    return counts


def summarize(wall_raw: Path, cpu_raw: Path) -> Profile:
    """`wall_raw` was recorded with --idle, `cpu_raw` at the same time and rate without it."""
    wall, cpu = _count(wall_raw), _count(cpu_raw)
    total = sum(wall.values())
    if not total:
        return Profile(0, [], 0.0)
    buckets = [
        (name, 100 * n / total, 100 * max(0.0, 1 - cpu[name] / n)) for name, n in wall.most_common()
    ]
    blocked = 100 * max(0.0, 1 - sum(cpu.values()) / total)
    return Profile(total, buckets, blocked)


def _bucket(frames: list[str]) -> str:
    for rules in (RULES, LAYERS):
        for frame in reversed(frames):
            for name, marker in rules:
                if marker in frame:
                    return name
    return "other"
