import os
import time
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from webhooks import outbox

from .receiver import Receiver


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    # Receivers run on 127.0.0.1; retries come at once so a test can drain the queue.
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0, 0]
    settings.WEBHOOK_TIMEOUT_SECONDS = 3


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def drain(limit: int = 1000) -> int:
    """Relay due messages and run every ready task in this process, as a worker and its
    supervisor do, until nothing is left to do now; inside the test's transaction (the worker's
    own loop would close the test's connection). Returns how many tasks ran."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    for count in range(limit):
        result = DBTaskResult.objects.ready().get_locked()
        if result is None:
            if not outbox.relay():
                return count
            continue
        result.claim(worker.worker_id)
        worker.run_task(result)
    raise AssertionError(f"more than {limit} tasks: a loop?")


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_env(transactional_db):
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{settings_dict['NAME']}"
    else:
        url = (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
            f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
        "WEBHOOK_RETRY_SCHEDULE": "0,1,1",
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "TASKS_HEARTBEAT_SECONDS": "1",
        "TASKS_WORKER_DEAD_AFTER": "3",
        "TASKS_BACKEND": "database",
    }


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
