"""Django's PostgreSQL backend, with a health check that costs no round trip while the
connection is healthy (DATABASE_CONN_HEALTH_CHECKS, config/settings.py).

Django's check sends `SELECT 1` before each request's first query on a reused connection: a
round trip on every request, for the rare one after a database restart. But a server that ends
a session (a restart, a failover, pg_terminate_backend, a crash) says so on the socket: it sends
its error and closes, and the client's socket turns readable. An idle session is otherwise
silent (this app never LISTENs), so a socket with nothing to read is a live session, known
without asking. A readable one gets Django's own `SELECT 1`, which tells a closed session (the
request reconnects) from the rare message a live server sends unasked (a setting changed by a
configuration reload, read and passed over)."""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        psycopg_connection = self.connection
        if psycopg_connection is None or psycopg_connection.closed:
            return False
        if psycopg_connection.info.transaction_status == TransactionStatus.IDLE:
            try:
                readable, _, _ = select.select([psycopg_connection.fileno()], [], [], 0)
            except (OSError, ValueError):  # the socket is gone
                return False
            if not readable:
                return True
        return super().is_usable()
