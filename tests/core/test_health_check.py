"""The PostgreSQL health check (core/postgresql): no round trip while a busy session is alive;
a session the server ended, or one quiet for a while, is asked before a request uses it."""

import select
import time

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper as DjangoWrapper

from core.postgresql.base import QUIET_SECONDS
from tests.dbsession import end_this_session

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL session"),
]


@pytest.fixture
def asked(monkeypatch):
    """Each time Django's own check (a `SELECT 1`) runs, and what it answered."""
    answers = []
    original = DjangoWrapper.is_usable

    def recording(self):
        answers.append(original(self))
        return answers[-1]

    monkeypatch.setattr(DjangoWrapper, "is_usable", recording)
    return answers


@pytest.fixture
def busy(asked):
    """A connection checked a moment ago (as under traffic); `asked` starts empty."""
    connection.ensure_connection()
    assert connection.is_usable() is True
    asked.clear()
    return connection


def test_a_busy_live_session_is_usable_without_asking_the_server(busy, asked):
    assert connection.is_usable() is True
    assert connection.is_usable() is True
    assert asked == []


def test_a_session_quiet_for_a_while_is_asked(busy, asked):
    connection._last_checked = time.monotonic() - QUIET_SECONDS - 1
    assert connection.is_usable() is True
    assert asked == [True]
    assert connection.is_usable() is True  # busy again: not asked
    assert asked == [True]


def test_a_session_the_server_ended_is_not_usable(busy, asked):
    try:
        end_this_session()
        assert connection.is_usable() is False
        assert asked == [False]  # the socket spoke: the server was asked, and was gone
    finally:
        connection.close()


def test_a_message_from_a_live_server_is_read_and_the_session_kept(busy, asked):
    """A live server may speak unasked (a configuration reload's changed settings; here, a
    notification): the socket turns readable while the session lives on."""
    with connection.cursor() as cursor:
        cursor.execute("LISTEN health_check_test")
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("NOTIFY health_check_test")  # sent to the idle session, unasked
    select.select([connection.connection.fileno()], [], [], 5)  # (until it has arrived)
    assert connection.is_usable() is True
    assert asked == [True]
    assert connection.is_usable() is True  # (read and passed over: nothing left to read)
    assert asked == [True]
    with connection.cursor() as cursor:
        cursor.execute("UNLISTEN *")


def test_a_session_inside_a_transaction_is_asked_as_django_does(busy, asked):
    connection.set_autocommit(False)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        assert connection.is_usable() is True
        assert asked == [True]
    finally:
        connection.rollback()
        connection.set_autocommit(True)
