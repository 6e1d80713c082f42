"""The Markdown report (bench/results/latest.md) and its JSON twin (latest.json)."""

from __future__ import annotations

import re
from typing import Any

LIST_VS_RAW_MIN = 0.60  # issue #13 (was 0.50)
MERGE_RATIO_MAX = 1.3
UI_P50_MAX_MS = 100.0
LOOKUP_CPU_RATIO_MAX = 1.3  # phone lookup vs GET by id, CPU per request
SEARCH_P50_MAX_MS = 50.0
BULK_SPEEDUP_MIN = 5.0  # leads per second, bulk vs single creates
# Issue #11 (webhooks).
OUTBOX_CPU_RATIO_MAX = 1.15  # a write with one subscription vs none, CPU per request
DELIVERY_RATE_MIN = 100.0  # messages per second, 2 db_workers
DELIVERY_P50_MAX_MS = 2000.0  # commit to delivery, idle queue
# Pipelines, at 100k leads, one connection.
BOARD_P50_MAX_MS = 150.0  # the /pipeline/ board page
PIPELINES_P50_MAX_MS = 50.0  # GET /api/v1/pipelines, its per-stage counts and sums
OUTBOX_GROUPS = ("app", "db")  # gunicorn workers + PostgreSQL backends
CPU_GROUPS = ("app", "db", "redis")  # what a request costs the server side
# Scenarios whose request is another scenario's, for the SQL column.
QUERY_KEYS = {"list_probe": "list", "merge_probe": "merge", "merge_1k": "merge",
              "merge_1k_probe": "merge", "lookup_phone_probe": "lookup_phone",
              "lead_get_probe": "lead_get", "pipelines_probe": "pipelines",
              "list_filtered_probe": "list_filtered", "calls_probe": "calls",
              "summary_probe": "summary", "sources_probe": "sources",
              "funnel_probe": "funnel",
              "deep_offset_probe": "list", "deep_cursor_probe": "list"}  # fmt: skip
# Counts of a scenario's request taken again under other conditions (run.py's count_queries):
# key suffix → what differs. The pipeline ones must equal the plain count.
QUERY_VARIANTS = {
    "_hook": "",  # the webhook twins are scenarios of their own, with their own label
    "_stages": " + a second pipeline of {stages} stages (its board), a few leads in each",
    "_1k": " at 1k leads",
}
# The stages of that second pipeline (bench/sqlcheck.py makes it, in a rolled-back transaction).
EXTRA_STAGES = 12


def _ms(value_us: float) -> str:
    ms = value_us / 1000
    return f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def _short(sql: str) -> str:
    """`SELECT … FROM "leads_lead"` style summary of a statement."""
    union = re.match(r"\((SELECT .*?)\) UNION( ALL)? \(", sql)
    if union:  # (SELECT …) UNION ALL (SELECT …) …: one slice per board column, say
        parts = len(re.findall(r"\) UNION(?: ALL)? \(", sql)) + 1
        return f"{_short(union.group(1))} UNION{union.group(2) or ''} × {parts}"
    verb = sql.split(None, 1)[0]
    outer = sql
    while (inner := re.sub(r"\([^()]*\)", "", outer)) != outer:  # drop (sub)queries, (args)
        outer = inner
    # Quoted as the ORM writes it, or bare as in the hand-written SQL (`FROM leads_lead l`).
    table = re.search(r'\b(?:FROM|INTO|UPDATE)\s+("[^"]+"|\w+)', outer)
    if not table:
        return sql[:40]
    if sql.startswith("SELECT COUNT("):
        verb = "SELECT COUNT(*)"
    target = {"SELECT": "… FROM", "INSERT": "INTO", "DELETE": "FROM"}.get(verb.split()[0], "")
    for_update = " … FOR UPDATE" if sql.endswith("FOR UPDATE") else ""
    joined = " + JOIN" if " JOIN " in outer else ""
    subquery = " + subquery" if "(SELECT " in sql and not sql.startswith("SELECT COUNT(") else ""
    return f"{verb} {target} {table.group(1)}{joined}{subquery}{for_update}".replace("  ", " ")


def _slow_rows(outcomes: dict, plan) -> list[str]:
    """A line on scenarios that run longer rounds at fewer connections (the bulk create)."""
    lines = []
    for o in outcomes.values():
        s = o.scenario
        if s.min_seconds > plan.seconds or s.drain:
            seconds = max(plan.seconds, s.min_seconds)
            lines.append(
                f"- *{s.label}*: rounds of {seconds:g} s at {s.connections} connections (two per "
                "worker); after each run the workers finish the requests wrk dropped before "
                "anything else is measured."
            )
    return lines


def _cpu_cell(ms: float | None) -> str:
    return "–" if ms is None else f"{ms:.1f}"


def _statements(statements: list[str]) -> str:
    """The statements, short, with a block repeated back to back (a bulk request's per-lead
    transaction) written once with its count: `100 × [BEGIN; …; COMMIT]`."""
    short = [_short(sql) for sql in statements]
    parts, i = [], 0
    while i < len(short):
        best_size, best_times = 1, 1
        for size in range(1, (len(short) - i) // 2 + 1):
            block, times = short[i : i + size], 1
            while short[i + times * size : i + (times + 1) * size] == block:
                times += 1
            if times > 1 and size * times > best_size * best_times:
                best_size, best_times = size, times
        block = "; ".join(f"`{sql}`" for sql in short[i : i + best_size])
        parts.append(block if best_times == 1 else f"{best_times} × [{block}]")
        i += best_size * best_times
    return "; ".join(parts)


def _table(rows: list[list[str]], header: list[str], align: str) -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if a == "r" else ":---" for a in align) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _cpu_ms(outcome) -> float:
    """Server-side CPU per request: gunicorn workers + PostgreSQL + Redis, over all rounds."""
    return sum(outcome.cpu_ms_per_request(g) or 0 for g in CPU_GROUPS)


def _capacity(app, raw) -> str:
    """The same comparison from CPU cost per request, which other load barely moves."""
    app_ms, raw_ms = _cpu_ms(app), _cpu_ms(raw)
    if not app_ms or not raw_ms:
        return ""
    return (
        f" By CPU cost per request (server + PostgreSQL + Redis: {app_ms:.1f} vs {raw_ms:.1f} ms) "
        f"the app would reach {raw_ms / app_ms:.0%} of the floor on an otherwise idle machine."
    )


def _lookup_target(outcomes: dict) -> tuple[str, str] | None:
    """Phone lookup vs GET by id, by CPU per request (server + PostgreSQL + Redis) over all
    rounds of the 1-connection probes: with the cores not contended, their ratio varied about
    half as much from round to round as the 16-connection rows' (bench/README.md); the
    16-connection ratio is quoted beside it."""
    pairs = {
        "one connection": (outcomes.get("lookup_phone_probe"), outcomes.get("lead_get_probe")),
        "16 connections": (outcomes.get("lookup_phone"), outcomes.get("lead_get")),
    }
    ratios = {}
    for name, (phone, by_id) in pairs.items():
        if phone and by_id and phone.result and by_id.result and _cpu_ms(by_id):
            ratios[name] = (_cpu_ms(phone) / _cpu_ms(by_id), _cpu_ms(phone), _cpu_ms(by_id))
    if not ratios:
        return None
    measure = next(iter(ratios))
    ratio, phone_ms, id_ms = ratios[measure]
    other = ""
    for name, (r, p_ms, i_ms) in ratios.items():
        if name != measure:
            other = f" At {name}: {r:.2f}× ({p_ms:.1f} vs {i_ms:.1f} ms)."
    probe_phone, probe_id = pairs["one connection"]
    latency = ""
    if measure == "one connection":
        latency = (
            f" Server time p50 {_ms(probe_phone.result.latency_us['p50'])} vs "
            f"{_ms(probe_id.result.latency_us['p50'])} ms."
        )
    return (
        "PASS" if ratio <= LOOKUP_CPU_RATIO_MAX else "FAIL",
        f"Looking a lead up by phone (`?phone=`, written 0 + national number) costs {ratio:.2f}× "
        f"the CPU of `GET /api/v1/leads/{{id}}` ({phone_ms:.1f} vs {id_ms:.1f} ms per request: "
        f"server + PostgreSQL + Redis, {measure}, all rounds); target ≤ "
        f"{LOOKUP_CPU_RATIO_MAX}×.{latency}{other}",
    )


def _search_target(outcomes: dict, search: dict | None) -> tuple[str, str] | None:
    probe = outcomes.get("search_probe")
    if not probe or not probe.result or not search:
        return None
    p50 = probe.result.latency_us["p50"] / 1000
    matches = ""
    if search.get("matches") is not None and search.get("leads"):
        share = search["matches"] / search["leads"]
        matches = f", matching {search['matches']:,} of {search['leads']:,} leads ({share:.1%})"
    return (
        "PASS" if p50 < SEARCH_P50_MAX_MS else "FAIL",
        f"Text search `?q={search['query']}`{matches}: server time p50 is {p50:.1f} ms (one "
        f"connection; p95 {_ms(probe.result.latency_us['p95'])} ms); target < "
        f"{SEARCH_P50_MAX_MS:.0f} ms.",
    )


def _bulk_target(outcomes: dict) -> tuple[str, str] | None:
    bulk, single = outcomes.get("bulk"), outcomes.get("create")
    if not (bulk and single and bulk.result and single.result):
        return None
    size = bulk.scenario.items
    bulk_lps, single_lps = bulk.result.rps * size, single.result.rps
    if not single_lps:
        return None
    speedup = bulk_lps / single_lps
    by_cpu = ""
    bulk_ms, single_ms = _cpu_ms(bulk) / size, _cpu_ms(single)
    if bulk_ms and single_ms:
        by_cpu = (
            f" By CPU per lead (server + PostgreSQL + Redis: {bulk_ms:.2f} vs {single_ms:.2f} ms) "
            f"the speed-up would be {single_ms / bulk_ms:.1f}× on an otherwise idle machine."
        )
    return (
        "PASS" if speedup >= BULK_SPEEDUP_MIN else "FAIL",
        f"Bulk create ({size} leads a request) makes {bulk_lps:,.0f} leads/s, {speedup:.1f}× "
        f"the {single_lps:,.0f} leads/s of single creates (best rounds, same run); target ≥ "
        f"{BULK_SPEEDUP_MIN:g}×.{by_cpu}",
    )


def _outbox_cpu_ms(outcome) -> float:
    return sum(outcome.cpu_ms_per_request(g) or 0 for g in OUTBOX_GROUPS)


def _outbox_targets(outcomes: dict) -> list[tuple[str, str]]:
    """A write with the subscription enabled (its message written in the
    write's transaction, no worker running) vs its twin without, CPU per request of the gunicorn
    workers + PostgreSQL over all rounds."""
    found = []
    for hook in outcomes.values():
        twin = outcomes.get(hook.scenario.twin) if hook.scenario.webhook else None
        if not (twin and hook.result and twin.result and _outbox_cpu_ms(twin)):
            continue
        with_ms, without_ms = _outbox_cpu_ms(hook), _outbox_cpu_ms(twin)
        ratio = with_ms / without_ms
        requests = sum(r.result.requests for r in hook.rounds)
        per_request = hook.messages / requests if requests else 0
        parts = " + ".join(
            f"{g} {hook.cpu_ms_per_request(g) or 0:.2f} vs {twin.cpu_ms_per_request(g) or 0:.2f}"
            for g in OUTBOX_GROUPS
        )
        found.append((
            "PASS" if ratio <= OUTBOX_CPU_RATIO_MAX else "FAIL",
            f"Outbox cost, {twin.scenario.label}: {ratio:.2f}× the CPU per request with one "
            f"webhook subscription ({with_ms:.2f} vs {without_ms:.2f} ms: gunicorn workers + "
            f"PostgreSQL, all rounds; {parts}), {per_request:.2f} messages queued per request, "
            f"no worker running; target ≤ {OUTBOX_CPU_RATIO_MAX}×. Throughput "
            f"{hook.result.rps:,.0f} vs {twin.result.rps:,.0f} req/s (best rounds).",
        ))  # fmt: skip
    return found


def _delivery_targets(hooks: dict | None) -> list[tuple[str, str]]:
    found = []
    throughput = (hooks or {}).get("throughput")
    if throughput is not None:
        cpu = throughput.cpu_ms_per_message
        cpu_text = (
            f" CPU per message: db_workers {cpu['app']:.2f} ms, PostgreSQL {cpu['db']:.2f} ms."
            if cpu
            else ""
        )
        lost = throughput.queued - throughput.delivered
        found.append((
            "PASS" if throughput.per_second >= DELIVERY_RATE_MIN and lost <= 0 else "FAIL",
            f"Webhook delivery: 2 `db_worker`s delivered {throughput.delivered:,} of "
            f"{throughput.queued:,} queued messages to the local receiver at "
            f"{throughput.per_second:,.0f} messages/s (first to last delivery, "
            f"{throughput.seconds:.1f} s; {throughput.duplicates} duplicates; "
            f"{throughput.verified} signatures checked, {throughput.bad_signatures} bad); target "
            f"≥ {DELIVERY_RATE_MIN:.0f} messages/s.{cpu_text}",
        ))  # fmt: skip
    latency = (hooks or {}).get("latency")
    if latency is not None:
        p50, p95 = latency.percentile(50), latency.percentile(95)
        if p50 is None:
            found.append(("FAIL", "Commit-to-delivery latency: no message arrived."))
        else:
            missing = latency.sent - len(latency.latencies_ms)
            found.append((
                "PASS" if p50 < DELIVERY_P50_MAX_MS and not missing else "FAIL",
                f"Commit-to-delivery latency on an idle queue ({len(latency.latencies_ms)} of "
                f"{latency.sent} single creates ~100 ms apart, from the create's response to "
                f"the receiver's arrival): p50 {p50:.0f} ms, p95 {p95:.0f} ms, max "
                f"{max(latency.latencies_ms):.0f} ms; target p50 < {DELIVERY_P50_MAX_MS:.0f} ms.",
            ))  # fmt: skip
    return found


def _query_label(key: str, outcomes: dict) -> str:
    """What the SQL section calls a count: its scenario's request, and what differs."""

    def request(base: str) -> str | None:
        outcome = outcomes.get(base) or next(
            (o for k, o in outcomes.items() if QUERY_KEYS.get(k) == base), None
        )
        return outcome.scenario.request if outcome else None

    if (found := request(key)) is not None:
        return found
    for suffix, variant in QUERY_VARIANTS.items():
        base = key.removesuffix(suffix)
        if base != key and variant:
            return (request(base) or base) + variant.format(stages=EXTRA_STAGES)
    return key


def size_label(leads: int) -> str:
    """100000 -> "100k", 1000000 -> "1M": how the reports name a database's size."""
    for unit, name in ((1_000_000, "M"), (1_000, "k")):
        if leads >= unit and leads % unit == 0:
            return f"{leads // unit}{name}"
    return f"{leads:,}"


def _main_size(ctx: dict) -> str:
    """The size of the run's main database (the largest it seeded)."""
    return size_label(max(info.leads for info in ctx["data"].values()))


def _constant_sql_target(
    queries: dict, outcomes: dict, size: str = "100k"
) -> tuple[str, str] | None:
    """The pipeline requests send as many statements with a 12-stage second pipeline, and at
    1k leads, as at `size` leads with the default pipeline's 6 stages."""
    parts, same = [], True
    for base in ("pipelines", "ui_board", "ui_board_rep"):
        counts = [len(queries[key]) for key in (base, base + "_stages", base + "_1k")
                  if key in queries]  # fmt: skip
        if len(counts) < 2:
            continue
        same = same and len(set(counts)) == 1
        parts.append(f"{_query_label(base, outcomes)}: {' / '.join(map(str, counts))}")
    if not parts:
        return None
    return (
        "PASS" if same else "FAIL",
        "Constant SQL per request whatever the number of stages or leads (statements at "
        f"{size} leads, 6 stages / with a second pipeline of {EXTRA_STAGES} stages shown / at 1k "
        f"leads): {'; '.join(parts)}.",
    )


def _silent(outcome) -> bool:
    """Rounds ran but not one response came back (requests slower than the round)."""
    return bool(outcome.rounds) and not any(r.result.requests for r in outcome.rounds)


def targets(
    outcomes: dict,
    search: dict | None = None,
    hooks: dict | None = None,
    queries: dict | None = None,
    size: str = "100k",
) -> list[tuple[str, str]]:
    """(verdict, sentence) for each target; `size` names the main database's (size_label)."""
    found = []

    def result(key):
        outcome = outcomes.get(key)
        return outcome.result if outcome else None

    lst = result("list")
    floors = {
        "raw": "the raw data floor's",
        "raw_keyed": "the data floor with what API v1 asks of every request (the key's "
        "lookup, one rate-limit count)",
    }
    for key, name in floors.items():
        floor = result(key)
        if lst and floor:
            share = lst.rps / floor.rps
            found.append((
                "PASS" if share >= LIST_VS_RAW_MIN else "FAIL",
                f"List leads (limit 50) throughput is {share:.0%} of {name} "
                f"({lst.rps:.0f} vs {floor.rps:.0f} req/s); target ≥ {LIST_VS_RAW_MIN:.0%}."
                + _capacity(outcomes["list"], outcomes[key]),
            ))  # fmt: skip
    big, small = result("merge_probe"), result("merge_1k_probe")
    if big and small:
        ratio = big.latency_us["p50"] / small.latency_us["p50"]
        loaded = ""
        if result("merge") and result("merge_1k"):
            loaded_ratio = result("merge").latency_us["p50"] / result("merge_1k").latency_us["p50"]
            loaded = f" Under full load the p50 ratio is {loaded_ratio:.2f}×."
        found.append((
            "PASS" if ratio <= MERGE_RATIO_MAX else "FAIL",
            f"Merge p50 latency at {size} leads is {ratio:.2f}× that at 1k leads "
            f"({_ms(big.latency_us['p50'])} vs {_ms(small.latency_us['p50'])} ms, one connection); "
            f"target ≤ {MERGE_RATIO_MAX}×.{loaded}",
        ))  # fmt: skip
    pages = (
        ("ui_list", "`/leads/` page", UI_P50_MAX_MS),
        ("ui_detail", "Lead detail (200 calls) page", UI_P50_MAX_MS),
        ("ui_board", f"Pipeline board `/pipeline/` (admin: all {size} leads)", BOARD_P50_MAX_MS),
        ("ui_board_rep", "Pipeline board `/pipeline/` as a sales rep (their leads)",
         BOARD_P50_MAX_MS),
        ("pipelines_probe", "`GET /api/v1/pipelines` (per-stage counts and sums of all "
         f"{size} leads)", PIPELINES_P50_MAX_MS),
    )  # fmt: skip
    for key, page, limit in pages:
        outcome = outcomes.get(key)
        if outcome is None:
            continue
        if outcome.result is None:
            found.append(("N/A", f"{page}: {outcome.note}."))
            continue
        p50 = outcome.result.latency_us["p50"] / 1000
        found.append((
            "PASS" if p50 < limit else "FAIL",
            f"{page} server time p50 is {p50:.1f} ms (one connection; p95 "
            f"{_ms(outcome.result.latency_us['p95'])} ms); target < {limit:.0f} ms.",
        ))  # fmt: skip
    for target in (_lookup_target(outcomes), _search_target(outcomes, search),
                   _bulk_target(outcomes),
                   _constant_sql_target(queries or {}, outcomes, size)):  # fmt: skip
        if target is not None:
            found.append(target)
    found += _outbox_targets(outcomes)
    found += _delivery_targets(hooks)
    bad = [f"{o.scenario.label} ({o.describe_statuses()})" for o in outcomes.values()
           if o.unexpected() or _silent(o)]  # fmt: skip
    found.append((
        "FAIL" if bad else "PASS",
        ("Unexpected responses in: " + "; ".join(bad)) if bad else
        "Every response of every scenario had the expected status (no non-2xx, no socket errors)"
        + (", and every bulk response created all its leads." if "bulk" in outcomes else "."),
    ))  # fmt: skip
    return found


def _webhooks_section(hooks: dict) -> list[str]:
    """How the delivery figures were taken (issue #11); the outbox cost rows are in Results."""
    t, lat = hooks.get("throughput"), hooks.get("latency")
    if t is None and lat is None:
        return []
    lines = [
        "",
        "## Webhook delivery (issue #11)",
        "",
        "*Outbox cost* (targets above): the `… 1 webhook subscription` rows run right after "
        "their twins with the bench's one subscription (all events, owned by the admin, to "
        "`bench/receiver.py`) enabled, and no worker running: what a write pays is the "
        "message written in its transaction (the workers' relay queues it). The twins run with it "
        "disabled, which fan_out treats as no subscription (its one query finds none). The "
        "queued messages and tasks go with the round's other rows.",
    ]
    if t is not None:
        cpu = t.cpu_ms_per_message
        lines += [
            "",
            f"*Throughput*: {t.queued:,} messages queued by bulk creates "
            f"({t.queue_seconds:.1f} s) with no worker running; then 2 `manage.py db_worker "
            "--interval 0.1 --no-startup-delay` processes (production settings, "
            "`WEBHOOK_ALLOW_PRIVATE_URLS=1`) delivered them to `bench/receiver.py` (asyncio, "
            f"HTTP/1.1 keep-alive, 200 at once). First delivery {t.start_to_first:.1f} s after "
            f"the workers were spawned; first to last {t.seconds:.1f} s: "
            f"**{t.per_second:,.0f} messages/s**. Messages afterwards: {t.states}."
            + (
                f" CPU per message: workers {cpu['app']:.2f} ms, PostgreSQL {cpu['db']:.2f} ms "
                f"(other load {t.other_load_cores:.2f} cores)."
                if cpu else ""
            ),
        ]  # fmt: skip
        lines += [f"- {note}" for note in t.notes]
    if lat is not None and lat.latencies_ms:
        values = sorted(lat.latencies_ms)
        lines += [
            "",
            f"*Latency*: with the workers idle, {lat.sent} `POST /api/v1/leads` one at a time, "
            "~100 ms apart; from the moment the response was back (committed) to the "
            f"receiver's arrival: min {values[0]:.0f}, p50 {lat.percentile(50):.0f}, p95 "
            f"{lat.percentile(95):.0f}, max {values[-1]:.0f} ms (the workers poll every 0.1 s).",
        ]
    if lat is not None:
        lines += [f"- {note}" for note in lat.notes]
    return lines


def render(ctx: dict[str, Any]) -> str:
    plan, config, versions = ctx["plan"], ctx["config"], ctx["versions"]
    outcomes = ctx["outcomes"]
    command = " ".join([".venv/bin/python bench/run.py", *ctx["args"]])
    lines = [
        "# Benchmark report",
        "",
        f"Generated {ctx['started']:%Y-%m-%d %H:%M} UTC by `{command}` at commit "
        f"{versions['commit']}. Machine: {versions['cpus']} cores; Python {versions['python']}, "
        f"Django {versions['django']}, DRF {versions['drf']}, gunicorn {versions['gunicorn']}, "
        f"PostgreSQL {versions['postgres']}, Redis {versions['redis']}, {versions['wrk']}. "
        f"Load average before/after: {ctx['load'][0][0]:.2f} / {ctx['load'][1][0]:.2f}.",
        "",
        "## Setup",
        "",
    ]
    for info in ctx["data"].values():
        how = "reused (row counts matched)" if info.reused else f"seeded in {info.seconds:.0f} s"
        lines.append(
            f"- `{info.dbname}`: {info.leads:,} leads, {info.calls:,} call logs over 90 days, "
            f"{how}; seeded {info.seeded_at}."
        )
    lines += [
        f"- Server: `{config.describe}` on 127.0.0.1 (`DJANGO_DEBUG=0`, Redis rate limiting, "
        "admin API key with a 1,000,000/min limit); the raw baseline runs under the same config.",
        f"- Load: wrk, {plan.threads} threads, {plan.connections} connections. Every scenario "
        f"runs {plan.rounds} round(s) of {plan.seconds:g} s, interleaved with the other "
        f"scenarios, after a {plan.warmup:g} s warm-up; the table shows the best round (most "
        "req/s; for probes the lowest p50) and *Rounds* lists every round's req/s. "
        f'"1 connection" rows are latency probes ({plan.probe_seconds:g} s rounds, one request '
        "at a time): their latency is the server time of one request. *Responses* covers every "
        "round.",
        *_slow_rows(outcomes, plan),
        "- *Other load* is the CPU (in cores, of 2) that processes other than the bench's used "
        "during the shown round (another engineer's tests): above ~0.3 the row is noisy.",
        "",
        "## Results",
        "",
    ]
    rows = []
    for outcome in outcomes.values():
        s, r = outcome.scenario, outcome.result
        conns = str(s.connections or plan.connections)
        if r is None:
            rows.append([s.label, f"`{s.request}`", conns, "–", "–", "–", "–", "–",
                         outcome.note, "–"])  # fmt: skip
            continue
        rounds = " / ".join(
            f"{x.result.rps:.0f}" if x.result.rps >= 10 else f"{x.result.rps:.1f}"
            for x in outcome.rounds
        )
        app_ms, db_ms = outcome.cpu_ms_per_request("app"), outcome.cpu_ms_per_request("db")
        sql = ctx["queries"].get(QUERY_KEYS.get(s.key, s.key))
        rows.append([
            s.label, f"`{s.request}`", conns, f"{r.rps:,.1f}", _ms(r.latency_us["p50"]),
            _ms(r.latency_us["p95"]), _ms(r.latency_us["p99"]), rounds,
            _cpu_cell(app_ms), _cpu_cell(db_ms), str(len(sql)) if sql is not None else "–",
            outcome.describe_statuses(), f"{outcome.foreign_cores:.2f}",
        ])  # fmt: skip
    header = ["Scenario", "Request", "Conn.", "req/s", "p50 ms", "p95 ms", "p99 ms",
              "Rounds (req/s)", "App CPU ms/req", "DB CPU ms/req", "SQL", "Responses",
              "Other load"]  # fmt: skip
    lines += _table(rows, header, "llrrrrrlrrrlr")
    lines += [
        "",
        "*App/DB CPU ms/req*: CPU time of the gunicorn workers / PostgreSQL per request, over all "
        "rounds — steadier than req/s when the machine is shared. "
        "*SQL* is the statements one such request sends (BEGIN/COMMIT included), counted "
        "in-process with Django's test client (a page with its user's session); on top, every "
        "API request sends Redis the rate limit's commands (django-ratelimit: an add, then an "
        "increment).",
    ]
    lines += ["", "## Targets", ""]
    found = targets(
        outcomes, ctx.get("search"), ctx.get("webhooks"), ctx["queries"], _main_size(ctx)
    )
    lines += [f"- **{verdict}** {sentence}" for verdict, sentence in found]
    lines += _webhooks_section(ctx.get("webhooks") or {})
    if ctx["sweep"]:
        lines += ["", "## Worker configurations (list leads)", ""]
        lines += [
            "Chosen: the most req/s in a round where other processes used under 0.3 cores "
            "(rounds with more are listed but not trusted).",
            "",
        ]
        rows = []
        for name, outcome in ctx["sweep"]:
            r = outcome.result
            rounds = " / ".join(
                f"{x.result.rps:.0f}" + ("" if x.foreign_cores < 0.3 else "*")
                for x in outcome.rounds
            )
            rows.append([
                f"`{ctx['configs'][name]}`" + (" (chosen)" if name == ctx["config"].name else ""),
                f"{r.rps:,.1f}", _ms(r.latency_us["p50"]), _ms(r.latency_us["p99"]),
                rounds, f"{outcome.foreign_cores:.2f}",
            ])  # fmt: skip
        header = ["Config", "req/s", "p50 ms", "p99 ms", "Rounds (req/s; * = noisy)",
                  "Other load"]  # fmt: skip
        lines += _table(rows, header, "lrrrlr")
    for key, title in (("list", "list leads"), ("merge", "merge lead")):
        profile = ctx["profiles"].get(key)
        if profile is None or not profile.samples:
            continue
        lines += [
            "",
            f"## Where the time goes: {title} (py-spy, {profile.samples:,} samples)",
            "",
            f"Share of the workers' request time under load; *blocked* is the part of it off "
            f"the CPU (waiting on PostgreSQL/Redis, or for a core). Overall "
            f"{profile.blocked_pct:.0f}% blocked.",
            "",
        ]
        shown = [b for b in profile.buckets if b[1] >= 1.0]
        rest = sum(b[1] for b in profile.buckets if b[1] < 1.0)
        rows = [[name, f"{pct:.1f}%", f"{blocked:.0f}%"] for name, pct, blocked in shown]
        if rest:
            rows.append(["(smaller items)", f"{rest:.1f}%", ""])
        lines += _table(rows, ["Stage", "Time", "of which blocked"], "lrr")
    if ctx["queries"]:
        lines += ["", "## SQL per request", ""]
        for key, statements in ctx["queries"].items():
            label = _query_label(key, ctx["outcomes"])
            lines.append(f"- `{label}` ({len(statements)}): {_statements(statements)}")
    if ctx["notes"]:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in ctx["notes"]]
    lines += [
        "",
        "Raw output: `bench/results/wrk.raw`, `bench/results/profile-*.raw` (py-spy, collapsed "
        "stacks), `bench/results/gunicorn-*.raw` (not committed). How to read this: "
        "`bench/README.md`.",
        "",
    ]
    return "\n".join(lines)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _items_json(outcome) -> dict:
    """Leads per request and per second, for a scenario that sends several a request."""
    size = outcome.scenario.items
    if size == 1:
        return {}
    return {"leads_per_request": size, "leads_per_second": round(outcome.result.rps * size, 1)}


def _webhooks_json(outcomes: dict, hooks: dict) -> dict:
    found: dict[str, Any] = {"outbox_cpu_ratio": {}}
    for hook in outcomes.values():
        twin = outcomes.get(hook.scenario.twin) if hook.scenario.webhook else None
        if twin and hook.result and twin.result and _outbox_cpu_ms(twin):
            requests = sum(r.result.requests for r in hook.rounds)
            found["outbox_cpu_ratio"][twin.scenario.key] = {
                "ratio": round(_outbox_cpu_ms(hook) / _outbox_cpu_ms(twin), 3),
                "with_ms": round(_outbox_cpu_ms(hook), 3),
                "without_ms": round(_outbox_cpu_ms(twin), 3),
                "messages_per_request": round(hook.messages / requests, 3) if requests else None,
            }
    if (t := hooks.get("throughput")) is not None:
        found["delivery"] = {
            "messages_per_second": round(t.per_second, 1), "queued": t.queued,
            "delivered": t.delivered, "duplicates": t.duplicates, "seconds": round(t.seconds, 2),
            "workers_start_to_first_delivery_s": round(t.start_to_first, 2),
            "queue_seconds": round(t.queue_seconds, 2), "states": t.states,
            "cpu_ms_per_message": t.cpu_ms_per_message, "verified": t.verified,
            "bad_signatures": t.bad_signatures, "other_load_cores": round(t.other_load_cores, 2),
        }  # fmt: skip
    if (lat := hooks.get("latency")) is not None and lat.latencies_ms:
        found["latency_ms"] = {
            "p50": round(lat.percentile(50), 1), "p95": round(lat.percentile(95), 1),
            "max": round(max(lat.latencies_ms), 1), "min": round(min(lat.latencies_ms), 1),
            "sent": lat.sent, "measured": len(lat.latencies_ms),
        }  # fmt: skip
    return found


def as_json(ctx: dict[str, Any]) -> dict:
    return {
        "started": ctx["started"].isoformat(),
        "args": ctx["args"],
        "config": ctx["config"].name,
        "versions": ctx["versions"],
        "results": {
            key: None
            if o.result is None
            else {
                "rps": round(o.result.rps, 1),
                "rounds_rps": [round(r.result.rps, 1) for r in o.rounds],
                "cpu_ms_per_request": {
                    g: _round(o.cpu_ms_per_request(g), 2) for g in ("app", "db", "redis", "client")
                },
                "latency_ms": {k: round(v / 1000, 2) for k, v in o.result.latency_us.items()},
                "requests": o.result.requests,
                "unexpected_responses": o.unexpected(),
                "other_load_cores": round(o.foreign_cores, 2),
                **_items_json(o),
            }
            for key, o in ctx["outcomes"].items()
        },
        "targets": [
            {"verdict": v, "text": t}
            for v, t in targets(
                ctx["outcomes"],
                ctx.get("search"),
                ctx.get("webhooks"),
                ctx["queries"],
                _main_size(ctx),
            )
        ],
        "webhooks": _webhooks_json(ctx["outcomes"], ctx.get("webhooks") or {}),
        "profiles": {
            key: [
                {"stage": n, "pct": round(p, 1), "blocked_pct": round(b)}
                for n, p, b in prof.buckets
            ]
            for key, prof in ctx["profiles"].items()
        },
    }
