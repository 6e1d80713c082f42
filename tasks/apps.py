from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks"

    def ready(self) -> None:
        from events.signals import events_recorded

        from .services import tasks_follow_lead

        # A lead that changes hands takes its open tasks along (tasks.services).
        events_recorded.connect(tasks_follow_lead, dispatch_uid="tasks.follow_lead")
