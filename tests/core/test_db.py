"""On PostgreSQL, timestamps are read by psycopg's own loader (core.db), with the same values,
in the same time zone, as Django's loader gives."""

import datetime as dt

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from core.db import TIMESTAMPTZ_OID, UTCTimestamptzLoader
from leads.models import Lead
from tests.factories import make_lead

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL loader"),
]

MOMENTS = """
    SELECT v::timestamptz FROM (VALUES ('2026-11-30 10:00:00+00'),
    ('2026-11-30 23:59:59.999999+00'),
    ('2026-03-31 18:30:00.5+05:30'), ('0001-01-01 00:00:00+00'), ('9999-12-31 23:59:59.123+00'),
    ('1969-12-31 23:59:59.000001-08'), (NULL)) AS t(v)
"""


def test_connections_read_timestamps_with_psycopgs_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, 0)
    assert loader is UTCTimestamptzLoader


def test_the_values_equal_djangos_own_loaders():
    with connection.cursor() as cursor:
        cursor.execute(MOMENTS)
        ours = [row[0] for row in cursor.fetchall()]
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)  # Django's, on this cursor only
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, 0) is not UTCTimestamptzLoader
        cursor.execute(MOMENTS)
        djangos = [row[0] for row in cursor.fetchall()]
    assert ours == djangos
    assert [value.tzinfo for value in ours if value] == [dt.UTC] * 6
    assert ours[1] == dt.datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=dt.UTC)
    assert ours[2] == dt.datetime(2026, 3, 31, 13, 0, 0, 500000, tzinfo=dt.UTC)


def test_a_lead_reads_back_its_moments():
    lead = make_lead()
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.created_at, stored.updated_at) == (lead.created_at, lead.updated_at)
    assert stored.created_at.tzinfo == dt.UTC
