"""Ending this test's PostgreSQL session from outside, as a database restart does."""

import select

import psycopg
from django.db import connection


def end_this_session() -> None:
    """The server ends the session the app keeps open (pg_terminate_backend from another
    connection), and this waits for its goodbye to reach the socket: the call only signals."""
    pid = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    select.select([connection.connection.fileno()], [], [], 5)
