"""Fault injection: PostgreSQL restarts under a running db_worker, with a delivery in flight.
The worker survives, and every message arrives, the interrupted one included. Runs against a
private cluster that the test creates (initdb as the postgres user), never the shared one."""

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from .conftest import ROOT

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
pytestmark = pytest.mark.skipif(
    not PG_BIN or os.geteuid() != 0 or shutil.which("su") is None,
    reason="needs PostgreSQL's server binaries and root (to run them as the postgres user)",
)


def as_postgres(command: str) -> list[str]:
    return ["su", "postgres", "-c", command]


@pytest.fixture
def private_cluster():
    # Not under pytest's tmp_path: the postgres user cannot enter root's private folders.
    folder = Path(tempfile.mkdtemp(prefix="crm-pg-"))
    shutil.chown(folder, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bin_dir = PG_BIN[-1]
    data = folder / "data"
    options = f"-o '-p {port} -k {folder} -c listen_addresses=127.0.0.1' -l {folder}/log"
    subprocess.run(
        as_postgres(f"{bin_dir}/initdb -D {data} -U postgres --auth=trust"),
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(as_postgres(f"{bin_dir}/pg_ctl -D {data} {options} -w start"), check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run(["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "crm"],
                   check=True)  # fmt: skip
    restart = as_postgres(f"{bin_dir}/pg_ctl -D {data} {options} -m fast -w restart")
    yield f"postgres://postgres@127.0.0.1:{port}/crm", restart
    subprocess.run(as_postgres(f"{bin_dir}/pg_ctl -D {data} -m immediate stop"),
                   capture_output=True)  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)


def test_a_database_restart_mid_delivery_loses_nothing(private_cluster):
    url, restart = private_cluster
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TASKS_BACKEND": "database",
        "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
        "WEBHOOK_RETRY_SCHEDULE": "0,1,2,4",
        "WEBHOOK_SWEEP_AFTER_SECONDS": "5",
        "TASKS_HEARTBEAT_SECONDS": "1",
        "TASKS_WORKER_DEAD_AFTER": "3",
    }
    done = subprocess.run(
        [sys.executable, "tests/webhooks/restart_scenario.py", json.dumps(restart)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["states"] == ["delivered"] * 3
    assert result["verified"] == ["after", "before", "during"]
    assert result["worker_alive"]
