"""What the workers' supervisor does: tasks left running by a silent worker go back to the
queue; a message whose task was lost is swept back; heartbeats say who is alive."""

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
    created = webhook_create(actor=Actor.system(user), url=receiver.url, events=["*"])
    receiver.secret = created.secret
    return outbox.ping_message(created.subscription)


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


def test_a_message_whose_task_was_lost_is_swept_back_once(admin_user, receiver, settings):
    message = queued_ping(admin_user, receiver)
    DBTaskResult.objects.all().delete()  # the task is lost
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now()
        - dt.timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS + 1)
    )
    assert outbox.sweep() == 1
    assert outbox.sweep() == 0  # woken once per overdue period
    drain()
    assert receiver.wait_for(1)[0].verified
    assert Message.objects.get().state == MessageState.DELIVERED


def test_a_message_held_by_another_worker_is_woken_when_the_hold_ends(admin_user, receiver):
    message = queued_ping(admin_user, receiver)
    held_until = timezone.now() + dt.timedelta(seconds=30)
    Message.objects.filter(pk=message.pk).update(claimed_until=held_until)
    assert outbox.attempt(str(message.pk)) == "held elsewhere"
    later = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert later.run_after > held_until
    assert receiver.received == []
