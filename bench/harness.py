"""The moving parts of a benchmark run: gunicorn servers on 127.0.0.1 and wrk load runs."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"  # every byte of traffic stays on the loopback interface
REDIS_URL = "redis://127.0.0.1:6379/3"
_SECRET = secrets.token_urlsafe(40)


@dataclass(frozen=True)
class WorkerConfig:
    name: str
    args: tuple[str, ...]
    processes: int  # worker processes (what py-spy and the report count)

    @property
    def describe(self) -> str:
        return f"gunicorn {' '.join(self.args)}"


WORKER_CONFIGS = {
    "sync-2": WorkerConfig("sync-2", ("--worker-class", "sync", "--workers", "2"), 2),
    "sync-3": WorkerConfig("sync-3", ("--worker-class", "sync", "--workers", "3"), 3),
    "sync-4": WorkerConfig("sync-4", ("--worker-class", "sync", "--workers", "4"), 4),
    "gthread-2x4": WorkerConfig(
        "gthread-2x4", ("--worker-class", "gthread", "--workers", "2", "--threads", "4"), 2
    ),
}


def app_env(database_url: str) -> dict[str, str]:
    """Production-like settings for the app under test (bench.settings = config.settings + the
    floor route)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=_SECRET,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        REDIS_URL=REDIS_URL,
        DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(*args: str, database_url: str) -> str:
    """Run a manage.py command with the bench settings; returns its stdout."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=app_env(database_url),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


class Server:
    """A gunicorn master we started (and only that one is ever signalled)."""

    def __init__(self, name: str, app: str, port: int, config: WorkerConfig, env: dict):
        self.name, self.app, self.port, self.config, self.env = name, app, port, config, env
        self.log_path = RESULTS / f"gunicorn-{name}.raw"
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, ready_path: str = "/healthz") -> Server:
        RESULTS.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable, "-m", "gunicorn", self.app, "--bind", f"{HOST}:{self.port}",
            *self.config.args, "--error-logfile", str(self.log_path), "--log-level", "warning",
            "--timeout", "60", "--graceful-timeout", "5",
        ]  # fmt: skip
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                url = self.base_url + ready_path  # always http://127.0.0.1:PORT
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                    if response.status == 200 and len(self.worker_pids()) >= self.config.processes:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def wait_idle(self, quiet: float = 0.3, limit: float = 60) -> float:
        """Wait (up to `limit` seconds) until the workers have used no CPU for `quiet` seconds:
        a sync worker finishes a request whose client wrk has dropped, and slow requests left
        behind would run into the next measurement. Returns the seconds waited."""
        started = time.monotonic()
        last, still_since = -1, started
        while time.monotonic() - started < limit:
            ticks = sum(_proc_ticks(pid) for pid in self.worker_pids())
            now = time.monotonic()
            if ticks != last:
                last, still_since = ticks, now
            elif now - still_since >= quiet:
                break
            time.sleep(0.05)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class WrkResult:
    requests: int
    seconds: float
    latency_us: dict[str, float]
    statuses: dict[int, int]
    errors: dict[str, int]
    bytes: int
    bad_bodies: int = 0  # 2xx responses whose body the Lua script rejected (bulk_leads.lua)
    raw: str = field(repr=False, default="")

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def ms(self, percentile: str) -> float:
        return self.latency_us[percentile] / 1000

    def unexpected(self, expected: int) -> int:
        """Responses with another status than `expected` or a body the script rejected, plus
        socket errors and timeouts."""
        wrong = sum(n for status, n in self.statuses.items() if status != expected)
        socket = sum(self.errors[k] for k in ("connect", "read", "write", "timeout"))
        return wrong + self.bad_bodies + socket

    def describe_statuses(self, expected: int) -> str:
        if not self.requests:
            return "no responses"
        if self.unexpected(expected) == 0:
            return f"all {expected}"
        parts = [f"{n}×{s}" for s, n in sorted(self.statuses.items())]
        parts += [f"{n} {k} errors" for k, n in self.errors.items() if n and k != "status"]
        if self.bad_bodies:
            parts.append(f"{self.bad_bodies} with a wrong body")
        return "**" + ", ".join(parts) + "**"


def ensure_wrk() -> str:
    """wrk from Debian; installed on first use (we run as root on the bench machine)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: installing Debian's package (apt-get install -y wrk)", flush=True)
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=quiet, check=False)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=300", "wrk"],
        env=quiet,
        check=True,
    )
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed")
    return found


def wrk(
    url: str,
    *,
    script: str = "get.lua",
    script_args: tuple[str, ...] = (),
    seconds: float,
    threads: int,
    connections: int,
    headers: dict[str, str] | None = None,
    label: str = "",
) -> WrkResult:
    if not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"refusing to send load anywhere but {HOST}: {url}")
    cmd = [
        "wrk", f"--threads={threads}", f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s", "--timeout=10s", "--latency",
        f"--script=bench/wrk/{script}",
    ]  # fmt: skip
    for name, value in (headers or {}).items():
        cmd += ["--header", f"{name}: {value}"]
    cmd += [url, "--", *script_args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120)
    with (RESULTS / "wrk.raw").open("a") as log:
        shown = " ".join(c for c in cmd if not c.startswith("--header"))
        log.write(f"\n===== {label} | {shown}\n{done.stdout}{done.stderr}")
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({label}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        latency_us=data["latency_us"],
        statuses={int(k): v for k, v in data["statuses"].items()},
        errors=data["errors"],
        bytes=data["bytes"],
        bad_bodies=data.get("bad_bodies", 0),
        raw=done.stdout,
    )


def _proc_ticks(pid: int, children: bool = False) -> int:
    """utime + stime of one process (or, with `children`, of its exited children), in clock
    ticks; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0
    return int(fields[13]) + int(fields[14]) if children else int(fields[11]) + int(fields[12])


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _proc_info(pid: int) -> tuple[str, int] | None:
    try:
        head, tail = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None
    return head.split("(", 1)[1], int(tail.split()[1])


class CpuMeter:
    """CPU used while a scenario runs, split into the app (the gunicorn servers' processes),
    PostgreSQL, Redis, the load generator (wrk, py-spy) and everything else ("foreign": another
    engineer's browser tests share these 2 cores). CPU seconds per request are much steadier
    than req/s on a busy machine: contention makes requests wait, not cost more CPU."""

    GROUPS = {"postgres": "db", "redis-server": "redis", "py-spy": "client", "wrk": "client"}
    # PostgreSQL backends serving the bench databases ("postgres: 15/main: USER DB HOST(PORT)
    # STATE"); the server's own workers (autovacuum, WAL writer, checkpointer) go to db-bg.
    BACKEND = re.compile(r"^postgres: .*\S+ crm_bench\S* 127\.0\.0\.1\(")

    def __init__(self, servers: list[Server]):
        self.roots = {s.process.pid for s in servers if s.process is not None}

    def _groups(self) -> dict[int, str]:
        table = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (info := _proc_info(int(entry.name))):
                table[int(entry.name)] = info
        app = set(self.roots)
        changed = True
        while changed:
            changed = False
            for pid, (_, ppid) in table.items():
                if pid not in app and ppid in app:
                    app.add(pid)
                    changed = True
        groups = {pid: "app" for pid in app}
        for pid, (comm, _) in table.items():
            group = next((g for prefix, g in self.GROUPS.items() if comm.startswith(prefix)), None)
            if group and pid not in groups:
                groups[pid] = group
            if group == "db" and not self.BACKEND.match(_cmdline(pid)):
                groups[pid] = "db-bg"
        return groups

    @staticmethod
    def _busy_ticks() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields[:8]) - idle, sum(fields[:8])

    def _postmaster(self) -> int | None:
        for pid, group in self.groups.items():
            info = _proc_info(pid)
            if group.startswith("db") and info and self.groups.get(info[1], "") != "db-bg":
                parent = _proc_info(info[1])
                if parent and not parent[0].startswith("postgres"):
                    return pid
        return None

    def __enter__(self) -> CpuMeter:
        self.groups = self._groups()
        self.start = {pid: _proc_ticks(pid) for pid in self.groups}
        # Short-lived PostgreSQL processes (parallel query workers, a backend closed after
        # CONN_MAX_AGE) are only seen through the postmaster's children-CPU counter.
        self.postmaster = self._postmaster()
        self.reaped0 = _proc_ticks(self.postmaster, children=True) if self.postmaster else 0
        self.children = _children_ticks()
        self.busy0, self.total0 = self._busy_ticks()
        return self

    def __exit__(self, *exc) -> None:
        busy1, total1 = self._busy_ticks()
        ticks = {"app": 0, "db": 0, "db-bg": 0, "redis": 0, "client": 0}
        exited_before = 0  # ticks that exited PostgreSQL processes had used before we started
        for pid, start in self.start.items():
            now = _proc_ticks(pid)
            if now == 0 and self.groups[pid].startswith("db"):
                exited_before += start
            ticks[self.groups[pid]] += max(0, now - start)
        if self.postmaster:
            reaped = _proc_ticks(self.postmaster, children=True) - self.reaped0
            ticks["db"] += max(0, reaped - exited_before)
        # Processes born meanwhile: a worker's new PostgreSQL backend after CONN_MAX_AGE.
        for pid, group in self._groups().items():
            if pid not in self.start:
                ticks[group] += _proc_ticks(pid)
        ticks["client"] += _children_ticks() - self.children  # wrk, which has exited by now
        hz = os.sysconf("SC_CLK_TCK")
        self.cpu_seconds = {group: n / hz for group, n in ticks.items()}
        cores = os.cpu_count() or 1
        elapsed = (total1 - self.total0) / cores  # ticks per core
        ours = sum(ticks.values())
        self.foreign_cores = max(0.0, (busy1 - self.busy0 - ours) / elapsed) if elapsed else 0.0
        self.busy_cores = (busy1 - self.busy0) / elapsed if elapsed else 0.0


def _children_ticks() -> int:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK"))


def wait_for_quiet(servers: list[Server], max_wait: float, threshold: float = 0.3) -> float:
    """Wait (up to max_wait seconds) until the rest of the machine uses under `threshold`
    cores for a whole second; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < max_wait:
        with CpuMeter(servers) as meter:
            time.sleep(1.0)
        if meter.foreign_cores < threshold:
            break
    return time.monotonic() - started
