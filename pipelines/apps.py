from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PipelinesConfig(AppConfig):
    name = "pipelines"
    verbose_name = "Pipelines"

    def ready(self) -> None:
        # A database always has a default pipeline: the migration creates it, and this puts it
        # back after a `flush` (which empties every table, then sends post_migrate).
        post_migrate.connect(_ensure_default_pipeline, sender=self)


def _ensure_default_pipeline(sender, using, **kwargs) -> None:
    from .services import pipeline_ensure_default

    pipeline_ensure_default(using=using)
