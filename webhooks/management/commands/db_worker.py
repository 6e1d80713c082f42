"""`python manage.py db_worker`: django-tasks-db's worker, made to survive what production does
to it. A supervisor thread relays due webhook messages to the queue, beats a heartbeat and
re-queues tasks that dead workers left running; a database that goes away (a restart) is
waited for instead of ending the process. Runs every queue by default (`--queue-name '*'`); no
autoreload."""

import logging
import time

from django.core.management.base import CommandError
from django.db import DatabaseError, close_old_connections, connection
from django.db.backends.signals import connection_created
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands import db_worker

from webhooks.worker import Supervisor

logger = logging.getLogger("django_tasks_db")


class ResilientWorker(db_worker.Worker):
    def run(self) -> None:
        while self.running:
            try:
                super().run()
                return
            except DatabaseError as exc:
                # The database went away (a restart): wait, reconnect, go on under a new id.
                # A task this worker was running when it happened stays "running" under the
                # old id, whose heartbeat now stops: a supervisor puts it back in the queue.
                logger.warning("database unreachable (%s); retrying in 2 s", exc)
                connection.close()
                time.sleep(2)
                close_old_connections()
                self.worker_id = get_random_string(32)
                logger.info("continuing as worker_id=%s", self.worker_id)


def _asynchronous_commit(sender, connection, **kwargs) -> None:
    """A worker's own bookkeeping (claims, attempts, task states) commits without waiting for
    the disk: after a database crash the last moments of it may be lost, which can only mean
    a message sent again (delivery is at least once; receivers deduplicate on webhook-id). The
    messages themselves are written by the requests that make the changes, durably."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")


class Command(db_worker.Command):
    help = "Run a database task worker (webhook relay, heartbeats, orphaned-task recovery)"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # The parent's default worker id is drawn once, at import; each process needs its own.
        parser.set_defaults(queue_name="*", reload=False, worker_id=None)

    def handle(self, *, verbosity, queue_name, exclude_queues, batch, **options):
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"] or get_random_string(32),
            excluded_queue_names=excluded,
        )
        connection_created.connect(_asynchronous_commit, dispatch_uid="db_worker.async_commit")
        supervisor = Supervisor(lambda: worker.worker_id)
        supervisor.start()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            supervisor.stop()
