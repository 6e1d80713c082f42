"""Leads created per IST day in an analytics window, read from the lead counts (leads.tally):
one grouped SUM over at most days × SHARDS cells (× the pipeline's stages), whatever the
number of leads, so each day's count agrees with the summary's total."""

import datetime as dt
from typing import Any

from django.db import connection

from leads.tally import ANY_STAGE, ANY_TEXT, _common_conditions, _uuid


def leads_per_day(user, filters) -> list[dict[str, Any]]:
    """[{"day": date, "leads": n}] for every IST day from `from_date` to `to_date` (0 when
    none), of the leads matching `filters` (AnalyticsFilter.validated values: the window,
    `assigned_to`, `source`, `pipeline_id`) that `user` may see."""
    counted = per_day(user, filters)
    day, last = filters["from_date"], filters["to_date"]
    rows = []
    while day <= last:
        rows.append({"day": day, "leads": counted.get(day, 0)})
        day += dt.timedelta(days=1)
    return rows


def per_day(user, filters) -> dict[dt.date, int]:
    """{day: leads} of the days that have any (the tally's cells, shards added up)."""
    from leads.models import LeadTally
    from pipelines.models import Stage

    # Only table names from model metadata and fixed conditions are formatted into the SQL
    # (as in leads.tally); every value is a bound parameter.
    conditions, params = _common_conditions(user, filters)
    conditions.append("t.priority = %s")
    params.append(ANY_TEXT)
    conditions.append("t.source = %s")
    params.append(filters.get("source") or ANY_TEXT)
    if filters.get("pipeline_id"):
        conditions.append(
            f"t.stage_id IN (SELECT s.id FROM {Stage._meta.db_table} s "  # noqa: S608
            "WHERE s.pipeline_id = %s)"
        )
        params.append(_uuid(filters["pipeline_id"]))
    else:
        conditions.append("t.stage_id = %s")
        params.append(_uuid(ANY_STAGE))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.day, SUM(t.leads) FROM {LeadTally._meta.db_table} t "  # noqa: S608
            f"WHERE {' AND '.join(conditions)} GROUP BY t.day",
            params,
        )
        return {_day(day): int(leads) for day, leads in cursor.fetchall() if leads}


def _day(value) -> dt.date:
    """SQLite hands a day back as text, PostgreSQL as a date."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
