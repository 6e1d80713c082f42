"""`python manage.py rqworker`: django-rq's worker (TASKS_BACKEND=rq), with the supervisor thread
that sweeps overdue webhook messages (a message whose task Redis lost is queued again) and
django-tasks-rq's job class by default. Scheduled retries need `--with-scheduler`."""

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
