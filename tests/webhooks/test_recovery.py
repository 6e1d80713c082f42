"""What the workers' supervisor does: it relays due messages to the queue (again, when their
task was lost), puts back in the queue the tasks a silent worker left running, and never hands
a message a worker holds."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from events.services import Actor
from webhooks import outbox, worker
from webhooks.models import Message, MessageState, WorkerHeartbeat
from webhooks.services import webhook_create

from .conftest import drain

pytestmark = pytest.mark.django_db


def queued_ping(user, receiver):
    """A ping message, handed to the queue by the relay: (message, its task)."""
    created = webhook_create(actor=Actor.system(user), url=receiver.url, events=["*"])
    receiver.secret = created.secret
    message = outbox.ping_message(created.subscription)
    assert outbox.relay() == 1
    return message


def test_a_task_running_on_a_silent_worker_goes_back_to_the_queue(admin_user, receiver):
    queued_ping(admin_user, receiver)
    task = DBTaskResult.objects.get()
    task.claim("dead-worker")
    DBTaskResult.objects.filter(pk=task.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=5)
    )
    WorkerHeartbeat.objects.create(
        worker_id="dead-worker", seen_at=timezone.now() - dt.timedelta(minutes=5)
    )
    assert worker.requeue_orphans() == 1
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY
    drain()
    [got] = receiver.wait_for(1)
    assert got.verified


def test_a_task_running_on_a_live_worker_is_left_alone(admin_user, receiver):
    queued_ping(admin_user, receiver)
    task = DBTaskResult.objects.get()
    task.claim("busy-worker")
    DBTaskResult.objects.filter(pk=task.pk).update(
        started_at=timezone.now() - dt.timedelta(minutes=5)
    )
    worker.beat("busy-worker")
    assert worker.requeue_orphans() == 0
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING


def test_a_message_whose_task_was_lost_is_handed_again_once(admin_user, receiver, settings):
    message = queued_ping(admin_user, receiver)
    assert outbox.relay() == 0  # handed: not again while its task may still come
    DBTaskResult.objects.all().delete()  # the task is lost
    lost = dt.timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS + 1)
    Message.objects.filter(pk=message.pk).update(woken_at=timezone.now() - lost)
    assert outbox.relay() == 1
    assert outbox.relay() == 0
    drain()
    assert receiver.wait_for(1)[0].verified
    assert Message.objects.get().state == MessageState.DELIVERED


def test_a_message_a_worker_holds_is_not_handed_until_the_hold_ends(admin_user, receiver):
    created = webhook_create(actor=Actor.system(admin_user), url=receiver.url, events=["*"])
    message = outbox.ping_message(created.subscription)
    now = timezone.now()
    Message.objects.filter(pk=message.pk).update(claimed_until=now + dt.timedelta(seconds=30))
    assert outbox.relay() == 0
    assert outbox.attempt(str(message.pk)) == "not due, ended or held elsewhere"
    assert outbox.relay(now=now + dt.timedelta(seconds=31)) == 1  # the holder died
    assert receiver.received == []
