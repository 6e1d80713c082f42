"""core.tally writes any number of count cells at once: a bulk edit of thousands of leads over
many days changes tens of thousands, more than one SQLite statement may bind."""

import datetime as dt
import sqlite3
import uuid

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from core import tally
from leads.models import LeadTally
from leads.tally import DIMENSIONS, MEASURES

pytestmark = pytest.mark.django_db


def test_more_cells_than_one_sqlite_statement_can_bind_are_all_written():
    stage = uuid.uuid4()
    first = dt.date(1900, 1, 1)
    # 9 values a cell: more than the database binds in one statement (PostgreSQL: one JSON
    # parameter, so any number).
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    else:
        limit = 45_000
    cells = limit // 9 + 100
    changes = tally.deltas(len(MEASURES))
    for n in range(cells):
        day = first + dt.timedelta(days=n)
        changes[(n % 7, stage, "Web", "High", stage, day)] = [1, 10]
    with transaction.atomic(), tally.batch():
        tally.add(LeadTally, DIMENSIONS, MEASURES, changes)
    written = LeadTally.objects.filter(stage_id=stage)
    assert written.count() == cells
    assert written.aggregate(leads=Sum("leads"), value=Sum("value")) == {
        "leads": cells,
        "value": 10 * cells,
    }
