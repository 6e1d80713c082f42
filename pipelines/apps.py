from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class PipelinesConfig(AppConfig):
    name = "pipelines"
    verbose_name = "Pipelines"

    def ready(self) -> None:
        # A database always has a default pipeline: the migration creates it, and this puts it
        # back after a `flush` (which empties every table, then sends post_migrate).
        post_migrate.connect(_ensure_default_pipeline, sender=self)


def _ensure_default_pipeline(sender, using, **kwargs) -> None:
    """Only when the pipelines' tables exist: `migrate pipelines zero` (a rollback) or a
    `migrate` of another app on a new database sends post_migrate too."""
    from .models import Pipeline, Stage
    from .services import pipeline_ensure_default

    tables = connections[using].introspection.table_names()
    if Pipeline._meta.db_table in tables and Stage._meta.db_table in tables:
        pipeline_ensure_default(using=using)
