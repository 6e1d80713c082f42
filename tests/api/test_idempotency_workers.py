"""Idempotency-Key under real concurrency: the same keyed request sent at the same moment to
several gunicorn worker processes, each with its own database connection, writes once. Runs on
SQLite (a file database) in the README's command and on PostgreSQL in CI's second pass, which
is where it proves the claim and the write against a real server's isolation."""

import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.db import connection

from events.models import Event
from leads.models import Lead
from tests.factories import make_key

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
PARALLEL = 12


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    """The URL of the test database this test's rows are committed to."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def server(transactional_db):
    """gunicorn with several sync workers (separate processes) on the test database."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_DEBUG": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(WORKERS), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn did not start: {process.stderr.read1().decode()}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def all_at_once(count: int, send) -> list[requests.Response]:
    barrier = threading.Barrier(count)

    def one(index):
        session = requests.Session()
        barrier.wait()
        return send(session, index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_simultaneous_identical_keyed_posts_write_once(server, admin_user):
    _, raw = make_key(admin_user, rate_limit=100_000)
    headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": "same-moment"}
    body = {"name": "Racer", "phone": "+91 98111 22233"}

    def send(session, _):
        return session.post(f"{server}/api/v1/leads", json=body, headers=headers, timeout=60)

    responses = all_at_once(PARALLEL, send)
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}, [r.text for r in responses]
    assert statuses.count(201) >= 1
    created = [r for r in responses if r.status_code == 201]
    assert len({r.json()["data"]["id"] for r in created}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in created) == 1  # one ran it
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["error"]["field"] == "Idempotency-Key"
    assert Lead.objects.count() == 1
    assert Event.objects.filter(verb="lead.created").count() == 1
    # Once the first has completed, every retry is its replay.
    again = requests.post(f"{server}/api/v1/leads", json=body, headers=headers, timeout=60)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == created[0].json()


def test_simultaneous_uses_of_one_key_for_different_requests(server, admin_user):
    _, raw = make_key(admin_user, rate_limit=100_000)
    headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": "one-key"}

    def send(session, index):
        body = {"name": f"Lead {index}", "phone": f"+9198222{index:05d}"}
        return session.post(f"{server}/api/v1/leads", json=body, headers=headers, timeout=60)

    responses = all_at_once(PARALLEL, send)
    statuses = sorted(response.status_code for response in responses)
    # One ran; every other was another request under a used key: a 422, even while it ran.
    assert statuses == [201] + [422] * (PARALLEL - 1), [r.text for r in responses]
    assert Lead.objects.count() == 1
