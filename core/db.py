"""PostgreSQL timestamps parsed by psycopg's own loader.

Django reads every `timestamptz` through a loader of its own (so that values carry the
connection's time zone), a Python subclass of psycopg's pure-Python loader: psycopg's C loader
(psycopg-binary) never runs. Parsing the 100 timestamps of a 50-lead page took 0.52 ms that
way, 0.18 ms with the C loader (bench/README.md). The app's connections are in UTC (USE_TZ, no
database TIME_ZONE), where the C loader gives the same values, in `datetime.timezone.utc`: so
on such a connection, timestamps go through it. Django compares its cursors' time zone with the
loader's `timezone` and leaves the loader in place when they agree."""

import datetime as dt

import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format

TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid
# psycopg's own text loader: the C one when psycopg-binary (or psycopg-c) is installed.
_PSYCOPG_LOADER = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class UTCTimestamptzLoader(Loader):
    """psycopg's loader on a connection whose time zone is UTC (the C loader cannot be
    subclassed: this delegates to it)."""

    timezone = dt.UTC  # what Django's cursors compare with their connection's

    def __init__(self, oid: int, context=None):
        super().__init__(oid, context)
        self._load = _PSYCOPG_LOADER(oid, context).load

    def load(self, data):
        return self._load(data)


def use_psycopg_timestamps(sender, connection, **kwargs) -> None:
    """connection_created: on a PostgreSQL connection in UTC, psycopg's loader for timestamps."""
    if connection.vendor == "postgresql" and connection.timezone == dt.UTC:
        connection.connection.adapters.register_loader(TIMESTAMPTZ_OID, UTCTimestamptzLoader)
