"""Issue #11's webhook scenarios: the bench's subscription, the fast receiver (bench/receiver.py),
two `manage.py db_worker` processes, and the delivery throughput and commit-to-delivery latency
measurements. The outbox's cost on writes runs as ordinary wrk scenarios in run.py (`*_hook`),
with the subscription enabled only for them."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import psycopg
import requests

from bench import harness, seed
from bench.harness import HOST, RESULTS, ROOT, CpuMeter

RECEIVER_PORT = 8804
RECEIVER_URL = f"http://{HOST}:{RECEIVER_PORT}/hooks/bench"
WORKERS = 2
WORKER_ARGS = ("--interval", "0.1", "--no-startup-delay")
THROUGHPUT_MESSAGES = {"full": 2000, "quick": 300}
LATENCY_LEADS = {"full": 50, "quick": 15}
LATENCY_SPACING = 0.1  # seconds between the starts of two creates


def worker_env(database_url: str) -> dict[str, str]:
    """The gunicorn server's production settings, plus the SSRF guard lifted for 127.0.0.1."""
    return {**harness.app_env(database_url), "WEBHOOK_ALLOW_PRIVATE_URLS": "1"}


@dataclass
class Subscription:
    id: str
    secret: str
    database_url: str

    def set_enabled(self, enabled: bool) -> None:
        """Enabled only while a webhook scenario runs. Disabled, fan_out's one query finds no
        enabled subscription, as with none at all: the other scenarios pay what they paid before
        #11."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE webhooks_subscription SET enabled = %s WHERE id = %s", [enabled, self.id]
            )

    def pending(self) -> int:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(
                "SELECT count(*) FROM webhooks_message WHERE subscription_id = %s "
                "AND state = 'pending'",
                [self.id],
            ).fetchone()[0]

    def messages(self) -> int:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(
                "SELECT count(*) FROM webhooks_message WHERE subscription_id = %s", [self.id]
            ).fetchone()[0]

    def states(self) -> dict[str, int]:
        with psycopg.connect(self.database_url) as conn:
            rows = conn.execute(
                "SELECT state, count(*) FROM webhooks_message WHERE subscription_id = %s "
                "GROUP BY state",
                [self.id],
            ).fetchall()
        return dict(rows)


def create_subscription(database_url: str) -> Subscription:
    """One subscription to every event, owned by the bench admin (who sees every lead), made
    through the service as the API would; left disabled."""
    code = (
        "import json\n"
        "from accounts.models import User\n"
        "from events.services import Actor\n"
        "from webhooks.services import webhook_create\n"
        f"user = User.objects.get(email={seed.ADMIN_EMAIL!r})\n"
        f"made = webhook_create(actor=Actor.system(user), url={RECEIVER_URL!r}, events=['*'],\n"
        "                      description='bench')\n"
        "print('BENCH_JSON', json.dumps({'id': str(made.subscription.pk), "
        "'secret': made.secret}))\n"
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        seed.delete_webhook_rows(conn, url=RECEIVER_URL)  # a crashed run's
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
        env=worker_env(database_url), capture_output=True, text=True,
    )  # fmt: skip
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"creating the bench subscription failed:\n{done.stderr[-3000:]}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    subscription = Subscription(data["id"], data["secret"], database_url)
    subscription.set_enabled(False)
    return subscription


class Receiver:
    """bench/receiver.py in its own process (its CPU counts as other load, not the app's)."""

    def __init__(self, secret: str, verify_every: int = 10):
        self.secret, self.verify_every = secret, verify_every
        self.base = f"http://{HOST}:{RECEIVER_PORT}"
        self.process: subprocess.Popen | None = None
        self.http = requests.Session()

    def start(self) -> Receiver:
        log = (RESULTS / "receiver.raw").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "bench/receiver.py", "--port", str(RECEIVER_PORT), "--secret",
             self.secret, "--verify-every", str(self.verify_every)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("bench/receiver.py exited; see bench/results/receiver.raw")
            try:
                self.stats()
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("bench/receiver.py did not answer")

    def stats(self) -> dict:
        return self.http.get(self.base + "/_stats", timeout=10).json()

    def records(self) -> list[tuple[float, str, str, str]]:
        answer = self.http.get(self.base + "/_records", timeout=30).json()
        return [tuple(record) for record in answer["records"]]

    def reset(self) -> None:
        self.http.post(self.base + "/_reset", timeout=10)

    def wait_for(self, count: int, stall: float = 30.0, limit: float = 600.0) -> dict:
        """Until `count` distinct messages arrived, nothing arrived for `stall` seconds, or
        `limit` seconds passed."""
        started = last_change = time.monotonic()
        seen = -1
        while True:
            stats = self.stats()
            now = time.monotonic()
            if stats["unique"] >= count:
                return stats
            if stats["unique"] != seen:
                seen, last_change = stats["unique"], now
            if now - last_change > stall or now - started > limit:
                return stats
            time.sleep(0.05)

    def stop(self) -> None:
        _stop(self.process)


class Workers:
    """`manage.py db_worker` processes we started (only those are ever signalled)."""

    def __init__(self, database_url: str, count: int = WORKERS):
        self.database_url, self.count = database_url, count
        self.processes: list[subprocess.Popen] = []

    def start(self) -> Workers:
        env = worker_env(self.database_url)
        for i in range(self.count):
            log = (RESULTS / f"db-worker-{i + 1}.raw").open("w")
            self.processes.append(subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", *WORKER_ARGS,
                 "--worker-id", f"bench-worker-{i + 1}"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))  # fmt: skip
        return self

    def wait_ready(self, limit: float = 60) -> None:
        """Until every worker's supervisor has written its heartbeat."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes):
                raise RuntimeError("a db_worker exited; see bench/results/db-worker-*.raw")
            with psycopg.connect(self.database_url) as conn:
                alive = conn.execute(
                    "SELECT count(*) FROM webhooks_workerheartbeat WHERE worker_id LIKE "
                    "'bench-worker-%%'"
                ).fetchone()[0]
            if alive >= self.count:
                return
            time.sleep(0.1)
        raise RuntimeError("the db_workers did not start; see bench/results/db-worker-*.raw")

    @property
    def as_servers(self) -> list:
        """For CpuMeter, which counts the processes (and children) of `.process`es as the app."""
        return [_Proc(p) for p in self.processes]

    def stop(self) -> None:
        for process in self.processes:
            _stop(process)
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute("DELETE FROM webhooks_workerheartbeat WHERE worker_id LIKE 'bench-%%'")


@dataclass
class _Proc:
    process: subprocess.Popen


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


# --- measurements -----------------------------------------------------------------------------


@dataclass
class Throughput:
    queued: int = 0  # pending messages when the workers started
    queue_seconds: float = 0.0  # the bulk requests that wrote them
    delivered: int = 0  # distinct webhook-ids the receiver got
    duplicates: int = 0
    seconds: float = 0.0  # first to last delivery
    start_to_first: float = 0.0  # workers started (processes spawned) → first delivery
    verified: int = 0
    bad_signatures: int = 0
    states: dict[str, int] = field(default_factory=dict)  # messages by state afterwards
    cpu_ms_per_message: dict[str, float] = field(default_factory=dict)
    other_load_cores: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return (self.delivered - 1) / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Latency:
    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def percentile(self, p: float) -> float | None:
        values = sorted(self.latencies_ms)
        if not values:
            return None
        if len(values) == 1:
            return values[0]
        return statistics.quantiles(values, n=100, method="inclusive")[round(p) - 1]


def _bulk_body(prefix: str, start: int, size: int) -> dict:
    return {"leads": [
        {"name": f"Bench Hook {prefix}{start + i}", "phone": f"+91695{prefix}{start + i:05d}",
         "email": f"bench.hook.{prefix}{start + i}@example.com", "source": "Website",
         "tags": ["bench", "webhook"]}
        for i in range(size)
    ]}  # fmt: skip


def queue_messages(base_url: str, key: str, messages: int, parallel: int) -> tuple[int, float]:
    """Create `messages` leads through POST /api/v1/leads/bulk (100 a request, `parallel` at a
    time): each lead's transaction writes its lead.created message. Returns
    (leads created, seconds)."""
    prefix = f"{int(time.time()) % 100:02d}"
    http = requests.Session()
    headers = {"Authorization": f"Bearer {key}"}

    def post(start: int) -> int:
        size = min(100, messages - start)
        response = http.post(f"{base_url}/api/v1/leads/bulk", json=_bulk_body(prefix, start, size),
                             headers=headers, timeout=120)  # fmt: skip
        response.raise_for_status()
        return response.json()["summary"]["created"]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        created = sum(pool.map(post, range(0, messages, 100)))
    return created, time.monotonic() - started


def measure_throughput(
    subscription: Subscription,
    receiver: Receiver,
    base_url: str,
    key: str,
    messages: int,
    parallel: int,
) -> tuple[Throughput, Workers]:
    """Queue `messages` messages with no worker running, then start the 2 workers and time the
    deliveries from the first to the last. Returns the workers, left running (idle)."""
    result = Throughput()
    created, result.queue_seconds = queue_messages(base_url, key, messages, parallel)
    result.queued = subscription.pending()
    if created != messages:
        result.notes.append(f"{created} of {messages} bulk-created leads were new leads.")
    receiver.reset()
    workers = Workers(subscription.database_url)
    spawned = time.time()
    workers.start()
    with CpuMeter(workers.as_servers) as meter:
        at_start = receiver.stats()["unique"]
        stats = receiver.wait_for(result.queued)
    records = receiver.records()
    times = [r[0] for r in records]
    result.delivered, result.duplicates = stats["unique"], stats["duplicates"]
    result.verified, result.bad_signatures = stats["verified"], stats["bad_signatures"]
    if times:
        result.seconds = max(times) - min(times)
        result.start_to_first = min(times) - spawned
    in_window = stats["unique"] - at_start
    if in_window:
        result.cpu_ms_per_message = {
            group: round(1000 * meter.cpu_seconds[group] / in_window, 2)
            for group in ("app", "db", "client")
        }
    result.other_load_cores = meter.foreign_cores
    workers.wait_ready()
    # The workers finish recording the last attempts after the receiver answered.
    deadline = time.monotonic() + 15
    while subscription.pending() and time.monotonic() < deadline:
        time.sleep(0.1)
    result.states = subscription.states()
    if result.delivered < result.queued:
        result.notes.append(
            f"Only {result.delivered} of {result.queued} messages arrived before the wait ended."
        )
    return result, workers


def measure_latency(base_url: str, key: str, receiver: Receiver, leads: int) -> Latency:
    """Create leads one at a time (POST /api/v1/leads, ~LATENCY_SPACING apart) while the
    workers are idle; latency = receiver's arrival − the moment the create returned."""
    result = Latency()
    receiver.reset()
    http = requests.Session()
    headers = {"Authorization": f"Bearer {key}"}
    returned: dict[str, float] = {}
    prefix = f"{int(time.time()) % 100:02d}"
    for i in range(leads):
        began = time.monotonic()
        response = http.post(
            f"{base_url}/api/v1/leads",
            json={"name": f"Bench Latency {prefix}{i}", "phone": f"+91698{prefix}{i:05d}",
                  "email": f"bench.latency.{prefix}{i}@example.com", "source": "Website"},
            headers=headers, timeout=30,
        )  # fmt: skip
        at = time.time()
        if response.status_code != 201:
            result.notes.append(f"A create answered {response.status_code}, not 201.")
            continue
        returned[response.json()["data"]["id"]] = at
        result.sent += 1
        time.sleep(max(0.0, LATENCY_SPACING - (time.monotonic() - began)))
    receiver.wait_for(result.sent, stall=10, limit=60)
    for at, _, event_type, object_id in receiver.records():
        if event_type == "lead.created" and object_id in returned:
            result.latencies_ms.append(1000 * (at - returned.pop(object_id)))
    if returned:
        result.notes.append(f"{len(returned)} of {result.sent} creates were never delivered.")
    return result
