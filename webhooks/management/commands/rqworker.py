"""`python manage.py rqworker`: django-rq's worker (TASKS_BACKEND=rq), with the supervisor thread
that relays due webhook messages to the queue (a message whose task Redis lost is handed again),
and django-tasks-rq's job class by default. Retries need no scheduler: the relay hands them."""

from django_rq.management.commands import rqworker

from webhooks.worker import Supervisor


class Command(rqworker.Command):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Jobs queued through the Tasks API are django-tasks-rq's own job class.
        parser.set_defaults(job_class="django_tasks_rq.Job")

    def handle(self, *args, **options):
        supervisor = Supervisor(worker_id=None, requeue=False)
        supervisor.start()
        try:
            super().handle(*args, **options)
        finally:
            supervisor.stop()
