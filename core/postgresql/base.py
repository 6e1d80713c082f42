"""Django's PostgreSQL backend, with a health check that costs no round trip while the
connection is busy and healthy (DATABASE_CONN_HEALTH_CHECKS, config/settings.py).

Django's check sends `SELECT 1` before each request's first query on a reused connection: a
round trip on every request, for the rare one after a database restart. But a server that ends
a session (a restart, pg_terminate_backend, a crash of the server process) says so on the
socket: it sends its error and closes, and the client's socket turns readable. An idle session
is otherwise silent (this app never LISTENs), so a socket with nothing to read, on a connection
that served a request moments ago, is a live session, known without asking.

Django's own `SELECT 1` still runs when the socket is readable (it tells a closed session from
the rare message a live server sends unasked, a setting changed by a configuration reload),
inside a transaction, and when the connection has been quiet for QUIET_SECONDS: a session can
also die without a word reaching the client (the server's host lost, its address moved to a
replica, an idle connection dropped by a firewall), and after a quiet spell the round trip is
worth its cost. Such a silent death under steady traffic fails one request per worker (the API
answers 503 with Retry-After), and the next one reconnects."""

import select
import time

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

QUIET_SECONDS = 5.0


class DatabaseWrapper(base.DatabaseWrapper):
    _last_checked = float("-inf")

    def is_usable(self):
        psycopg_connection = self.connection
        if psycopg_connection is None or psycopg_connection.closed:
            return False
        now = time.monotonic()
        busy = now - self._last_checked < QUIET_SECONDS
        self._last_checked = now
        if busy and psycopg_connection.info.transaction_status == TransactionStatus.IDLE:
            try:
                readable, _, _ = select.select([psycopg_connection.fileno()], [], [], 0)
            except (OSError, ValueError):  # (ValueError: a descriptor past select's 1024)
                readable = True  # cannot tell: ask the server
            if not readable:
                return True
        return super().is_usable()
