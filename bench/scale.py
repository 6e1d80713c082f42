"""Issue #13's side-by-side: the 100k-lead run and the 1M-lead run, made one after the other on
the same machine, and the targets that compare them.

    .venv/bin/python bench/run.py --workers sync-4 --no-profile                 # latest.json
    .venv/bin/python bench/run.py --workers sync-4 --no-profile \\
        --db crm_bench_1m --leads 1000000 --out 1m                               # 1m.json
    .venv/bin/python bench/scale.py                                              # scale.md

Targets: at 1M, the one-connection p50 of each FLAT request within 1.5× of the same request at
100k; at 1M, list call logs ≥ 40% of list leads' throughput (16 connections); create, merge and
log a call within 10% of their CPU per request (gunicorn workers + PostgreSQL + Redis) before
the issue (`before-13.json`: the committed 100k report of the commit before it, when writes
did not grow with the data either).
"""

import argparse
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

FLAT = (
    ("list_probe", "list leads (`GET /api/v1/leads`)"),
    ("list_filtered_probe", "list leads filtered (`?status=New&source=IVR`)"),
    ("calls_probe", "list call logs (`GET /api/v1/call-logs`)"),
    ("summary_probe", "analytics summary"),
    ("sources_probe", "analytics sources"),
    ("deep_cursor_probe", "deep page by cursor (the rows at offset 99,950)"),
)
SHOWN = (
    *FLAT,
    ("funnel_probe", "analytics funnel (default pipeline)"),
    ("deep_offset_probe", "deep page by offset 99,950 (for comparison)"),
    ("search_probe", "search `q=priy`"),
    ("lookup_phone_probe", "look a lead up by phone"),
    ("ui_list", "`/leads/` page"),
    ("ui_board", "`/pipeline/` board (admin)"),
    ("pipelines_probe", "`GET /api/v1/pipelines`"),
)
WRITES = (("create", "create lead"), ("merge", "merge lead"), ("log_call", "log a call"))
FLAT_MAX = 1.5
CALLS_VS_LEADS_MIN = 0.40
WRITE_CPU_MAX = 1.10


def cpu(result: dict) -> float:
    return sum(result["cpu_ms_per_request"][group] or 0 for group in ("app", "db", "redis"))


def render(small: dict, big: dict, before: dict | None) -> tuple[str, bool]:
    s, b = small["results"], big["results"]
    lines = [
        "# Scale: 100k vs 1M leads (issue #13)",
        "",
        f"100k: `bench/results/latest.md` ({small['started'][:16]} UTC, commit "
        f"{small['versions']['commit']}); 1M: `bench/results/1m.md` ({big['started'][:16]} UTC, "
        f"commit {big['versions']['commit']}). Same machine, one run after the other, "
        f"{small['config']} / {big['config']}; 1M = 1,000,000 leads and 3,000,000 call logs.",
        "",
        "## One request at a time (server time)",
        "",
        "| Request | p50 100k ms | p50 1M ms | 1M / 100k | p95 100k | p95 1M | DB CPU ms 100k | "
        "DB CPU ms 1M |",
        "|:---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label in SHOWN:
        if not (s.get(key) and b.get(key)):
            lines.append(f"| {label} | – | – | – | – | – | – | – |")
            continue
        p50s, p50b = s[key]["latency_ms"]["p50"], b[key]["latency_ms"]["p50"]
        lines.append(
            f"| {label} | {p50s:.1f} | {p50b:.1f} | {p50b / p50s:.2f}× | "
            f"{s[key]['latency_ms']['p95']:.1f} | {b[key]['latency_ms']['p95']:.1f} | "
            f"{s[key]['cpu_ms_per_request']['db']:.1f} | {b[key]['cpu_ms_per_request']['db']:.1f} |"
        )
    lines += [
        "",
        "## Under load (16 connections, req/s, best round)",
        "",
        "| Scenario | 100k | 1M | 1M / 100k | CPU ms/req 100k | CPU ms/req 1M |",
        "|:---|---:|---:|---:|---:|---:|",
    ]
    for key in ("list", "list_filtered", "calls", "create", "merge", "log_call", "bulk"):
        if s.get(key) and b.get(key):
            lines.append(
                f"| {key} | {s[key]['rps']:.0f} | {b[key]['rps']:.0f} | "
                f"{b[key]['rps'] / s[key]['rps']:.2f}× | {cpu(s[key]):.2f} | {cpu(b[key]):.2f} |"
            )
    verdicts = []
    for key, label in FLAT:
        if not (s.get(key) and b.get(key)):
            verdicts.append((False, f"{label}: not measured in both runs."))
            continue
        ratio = b[key]["latency_ms"]["p50"] / s[key]["latency_ms"]["p50"]
        verdicts.append((
            ratio <= FLAT_MAX,
            f"{label}: p50 at 1M is {ratio:.2f}× that at 100k ({b[key]['latency_ms']['p50']:.1f} "
            f"vs {s[key]['latency_ms']['p50']:.1f} ms, one connection); target ≤ {FLAT_MAX}×.",
        ))  # fmt: skip
    if b.get("calls") and b.get("list"):
        share = b["calls"]["rps"] / b["list"]["rps"]
        verdicts.append((
            share >= CALLS_VS_LEADS_MIN,
            f"At 1M, list call logs makes {share:.0%} of list leads' throughput "
            f"({b['calls']['rps']:.0f} vs {b['list']['rps']:.0f} req/s, 16 connections); "
            f"target ≥ {CALLS_VS_LEADS_MIN:.0%} (before the issue: 12%).",
        ))  # fmt: skip
    if before is not None:
        for key, label in WRITES:
            then, now = before["results"].get(key), b.get(key)
            if not (then and now):
                continue
            ratio = cpu(now) / cpu(then)
            verdicts.append((
                ratio <= WRITE_CPU_MAX,
                f"{label} at 1M costs {ratio:.2f}× the CPU per request before the issue "
                f"({cpu(now):.2f} vs {cpu(then):.2f} ms: gunicorn workers + PostgreSQL + "
                f"Redis, all rounds; before: 100k, {before['versions']['commit']}); "
                f"target ≤ {WRITE_CPU_MAX:.2f}×.",
            ))  # fmt: skip
    lines += ["", "## Targets", ""]
    lines += [f"- **{'PASS' if ok else 'FAIL'}** {text}" for ok, text in verdicts]
    lines += [
        "",
        "Every other target of each run is in its own report (`latest.md`, `1m.md`). How the "
        "counts stay flat: `README.md` (Scaling), `leads/tally.py`, `calls/tally.py`.",
        "",
    ]
    return "\n".join(lines), all(ok for ok, _ in verdicts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", default=RESULTS / "latest.json", type=Path)
    parser.add_argument("--big", default=RESULTS / "1m.json", type=Path)
    parser.add_argument("--before", default=RESULTS / "before-13.json", type=Path)
    parser.add_argument("--out", default=RESULTS / "scale.md", type=Path)
    args = parser.parse_args()
    before = json.loads(args.before.read_text()) if args.before.exists() else None
    text, passed = render(
        json.loads(args.small.read_text()), json.loads(args.big.read_text()), before
    )
    args.out.write_text(text)
    print(text)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
