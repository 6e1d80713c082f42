"""Leads created per IST day in an analytics window, read from the lead counts (leads.tally):
one grouped SUM over at most days × SHARDS cells (× the pipeline's stages), whatever the
number of leads, so each day's count agrees with the summary's total."""

import datetime as dt
from typing import Any

from leads.tally import per_day


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
