"""`python manage.py rqworker`: django-rq's worker (TASKS_BACKEND=rq), with the supervisor thread
that sweeps overdue webhook messages (a message whose task Redis lost is queued again)."""

from django_rq.management.commands import rqworker

from webhooks.worker import Supervisor


class Command(rqworker.Command):
    def handle(self, *args, **options):
        supervisor = Supervisor(worker_id=None, requeue=False)
        supervisor.start()
        try:
            super().handle(*args, **options)
        finally:
            supervisor.stop()
