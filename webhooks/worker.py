"""What keeps task workers honest beside the queue's own loop: a supervisor thread in every
worker process that says the worker is alive, puts back in the queue the tasks that a silent
(dead) worker left "running", and relays due webhook messages to the queue (outbox.relay)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from . import outbox
from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def beat(worker_id: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "seen_at": timezone.now(),
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def requeue_orphans(now: dt.datetime | None = None) -> int:
    """Tasks "running" on a worker whose heartbeat stopped (killed, its host gone) go back to
    the queue. Only the database backend keeps such tasks; RQ has its own abandoned-job
    handling. A task is safe to run twice: a delivery is claimed with a lease."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    dead_after = dt.timedelta(seconds=settings.TASKS_WORKER_DEAD_AFTER)
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=now - dead_after).values_list(
            "worker_id", flat=True
        )
    )
    requeued = 0
    with transaction.atomic():
        running = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
            status=TaskResultStatus.RUNNING, started_at__lt=now - dead_after
        )
        for result in running[:500]:
            worker = result.worker_ids[-1] if result.worker_ids else None
            if worker in alive:
                continue
            result.status = TaskResultStatus.READY
            result.started_at = None
            result.save(update_fields=["status", "started_at"])
            requeued += 1
    if requeued:
        logger.warning("put %d task(s) of silent workers back in the queue", requeued)
    WorkerHeartbeat.objects.filter(seen_at__lt=now - 10 * dead_after).delete()
    return requeued


class Supervisor(threading.Thread):
    """Runs beside a worker's loop, in its own thread (and database connection): relays due
    webhook messages every WEBHOOK_RELAY_INTERVAL_MS; every TASKS_HEARTBEAT_SECONDS says the
    worker is alive and re-queues tasks of silent workers."""

    def __init__(self, worker_id: Callable[[], str] | None, requeue: bool = True):
        """`worker_id`: the worker's current id (it changes after a database outage)."""
        super().__init__(name="tasks-supervisor", daemon=True)
        self.worker_id = worker_id
        self.requeue = requeue
        self.stopping = threading.Event()
        self.next_beat = 0.0

    def run(self) -> None:
        while not self.stopping.is_set():
            self.tick()
            self.stopping.wait(settings.WEBHOOK_RELAY_INTERVAL_MS / 1000)
        connection.close()

    def tick(self) -> None:
        try:
            close_old_connections()
            if time.monotonic() >= self.next_beat:
                self.next_beat = time.monotonic() + settings.TASKS_HEARTBEAT_SECONDS
                if self.worker_id is not None:
                    beat(self.worker_id())
                if self.requeue:
                    requeue_orphans()
            outbox.relay()
        except DatabaseError as exc:
            logger.warning("supervisor: database unreachable (%s); retrying", exc)
            connection.close()
        except Exception:
            logger.exception("supervisor tick failed")

    def stop(self) -> None:
        self.stopping.set()
