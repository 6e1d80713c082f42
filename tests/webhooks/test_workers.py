"""Real `manage.py db_worker` processes against the test database: a worker killed with
SIGKILL in the middle of a delivery loses nothing (its task goes back to the queue and another
worker delivers the message), and two workers share 500 messages, each delivered exactly once."""

import collections
import os
import signal
import subprocess
import sys
import time

import pytest

from events.models import Channel
from events.services import Actor
from leads.services import lead_create
from webhooks.models import Message, MessageState
from webhooks.services import webhook_create

from .conftest import ROOT, wait_until


@pytest.fixture
def start_worker(worker_env):
    started = []

    def start(worker_id: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1",
             "--no-startup-delay", "--worker-id", worker_id],
            cwd=ROOT, env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def subscribe(user, receiver):
    created = webhook_create(actor=Actor.system(user), url=receiver.url, events=["*"])
    receiver.secret = created.secret
    return created.subscription


def test_a_worker_killed_mid_delivery_loses_nothing(admin_user, receiver, start_worker):
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    subscribe(admin_user, receiver)
    receiver.answer(200, delay=1.5)  # the first request hangs while the worker is killed
    lead_create(
        actor=Actor(user=admin_user, channel=Channel.API),
        fields={"name": "K", "phone": "+919812300001"},
    )
    first = start_worker("worker-to-kill")
    [webhook_id] = receiver.wait_for_arrivals(1, timeout=20)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING  # left by the dead
    start_worker("worker-that-recovers")
    wait_until(lambda: Message.objects.get().state == MessageState.DELIVERED, 40, "the redelivery")
    arrivals = receiver.wait_for_arrivals(2)
    assert arrivals == [webhook_id, webhook_id]
    assert receiver.received[-1].verified


@pytest.mark.skipif(
    "sqlite" in os.environ.get("DATABASE_URL", "sqlite"),
    reason="several worker processes share the queue on PostgreSQL (CI's step 8 runs this)",
)
def test_two_workers_deliver_500_messages_each_exactly_once(admin_user, receiver, start_worker):
    from django_tasks_db.models import DBTaskResult

    subscribe(admin_user, receiver)
    actor = Actor(user=admin_user, channel=Channel.API)
    for n in range(500):
        lead_create(actor=actor, fields={"name": f"L{n}", "phone": f"+91981240{n:04d}"})
    assert Message.objects.count() == 500
    start_worker("worker-a")
    start_worker("worker-b")
    receiver.wait_for_arrivals(500, timeout=120)
    wait_until(
        lambda: Message.objects.filter(state=MessageState.DELIVERED).count() == 500,
        30, "every message delivered",
    )  # fmt: skip
    time.sleep(1)  # anything sent twice would arrive by now
    counts = collections.Counter(receiver.arrivals)
    assert len(counts) == 500
    assert max(counts.values()) == 1
    assert all(got.verified for got in receiver.received)
    workers = collections.Counter(
        ids[-1] for ids in DBTaskResult.objects.values_list("worker_ids", flat=True)
    )
    assert set(workers) == {"worker-a", "worker-b"}
