"""The Redis-backed queue (TASKS_BACKEND=rq, django-tasks-rq): a real `manage.py rqworker`
delivers; a task that Redis lost (flushed, as by a restart without persistence) is handed again
by the worker's relay, so the message still arrives. CI runs this file once with the setting on
(.ci/run); with the default database queue it is skipped."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from events.models import Channel
from events.services import Actor
from leads.services import lead_create
from webhooks import outbox
from webhooks.models import Message, MessageState
from webhooks.services import webhook_create

from .conftest import ROOT, wait_until

pytestmark = pytest.mark.skipif(
    settings.TASKS_BACKEND != "rq", reason="run with TASKS_BACKEND=rq (CI does, once)"
)


@pytest.fixture
def start_rq_worker(worker_env):
    import django_rq

    django_rq.get_connection("default").flushdb()
    env = {**worker_env, "TASKS_BACKEND": "rq", "WEBHOOK_SWEEP_AFTER_SECONDS": "2"}
    started = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "--with-scheduler", "default"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True,  # its scheduler is a child process: stopped with it
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def subscribe(user, receiver):
    created = webhook_create(actor=Actor.system(user), url=receiver.url, events=["*"])
    receiver.secret = created.secret


def create_lead(user, phone):
    lead_create(actor=Actor(user=user, channel=Channel.API), fields={"name": "R", "phone": phone})


def test_an_rq_worker_delivers_signed_messages(admin_user, receiver, start_rq_worker):
    subscribe(admin_user, receiver)
    start_rq_worker()
    create_lead(admin_user, "+919877700001")
    [got] = receiver.wait_for(1, timeout=30)
    assert got.verified
    assert got.json["type"] == "lead.created"
    wait_until(lambda: Message.objects.get().state == MessageState.DELIVERED, 10, "delivered")


def test_a_message_whose_task_redis_lost_is_still_delivered(admin_user, receiver, start_rq_worker):
    import django_rq

    subscribe(admin_user, receiver)
    create_lead(admin_user, "+919877700002")
    assert outbox.relay() == 1  # handed to Redis; no worker running yet
    assert django_rq.get_queue("default").count == 1
    django_rq.get_connection("default").flushdb()  # Redis restarted: the task is gone
    time.sleep(2.5)  # longer than the workers' WEBHOOK_SWEEP_AFTER_SECONDS
    start_rq_worker()
    [got] = receiver.wait_for(1, timeout=40)
    assert got.verified
    wait_until(lambda: Message.objects.get().state == MessageState.DELIVERED, 10, "delivered")
