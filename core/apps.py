from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app builds on (no models): here, how PostgreSQL values are read."""

    name = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .db import use_psycopg_timestamps

        connection_created.connect(use_psycopg_timestamps, dispatch_uid="core.db.timestamps")
