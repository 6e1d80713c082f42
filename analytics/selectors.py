"""Analytics over leads created in an IST window: a summary and a breakdown by source. Lead
counts and values come from the lead counts (leads.tally): a few hundred cells, whatever the
number of leads, and by construction the same total as the leads list with the same window
and filters. Calls are counted directly (called in the window, on leads matching the filters
that the user may see)."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from calls.models import CallLog
from calls.rules import CallOutcome
from core.dates import ist_midnight
from leads import tally
from leads.models import Lead
from pipelines.models import Stage
from pipelines.rules import LeadStatus

MISSED = (CallOutcome.MISSED, CallOutcome.NO_ANSWER)
CLOSED = (LeadStatus.WON, LeadStatus.LOST)


def summary(user, filters) -> dict[str, Any]:
    by_status = dict.fromkeys(LeadStatus.values, 0)
    values = dict.fromkeys(LeadStatus.values, Decimal(0))
    for status, leads, value in tally.per_status(user, filters):
        by_status[status] += leads
        values[status] += value
    leads = sum(by_status.values())
    won, lost = by_status[LeadStatus.WON], by_status[LeadStatus.LOST]
    calls, missed = _calls(user, filters)
    return {
        "from_date": filters["from_date"].isoformat(),
        "to_date": filters["to_date"].isoformat(),
        "leads": leads,
        "by_status": by_status,
        "won": won,
        "lost": lost,
        "win_rate": _ratio(won, won + lost),
        "conversion_rate": _ratio(won, leads),
        "won_value": float(values[LeadStatus.WON]),
        "open_value": float(sum(v for s, v in values.items() if s not in CLOSED)),
        "calls": calls,
        "missed_calls": missed,
    }


def sources(user, filters) -> list[dict[str, Any]]:
    """Per source: leads, won, conversion rate and won value; most leads first, then by name."""
    rows: dict[str, dict] = defaultdict(lambda: {"leads": 0, "won": 0, "won_value": Decimal(0)})
    for source, status, leads, value in tally.per_status(user, filters, by_source=True):
        row = rows[source]
        row["leads"] += leads
        if status == LeadStatus.WON:
            row["won"] += leads
            row["won_value"] += value
    found = [
        {
            "source": source,
            "leads": row["leads"],
            "won": row["won"],
            "conversion_rate": _ratio(row["won"], row["leads"]),
            "won_value": float(row["won_value"]),
        }
        for source, row in rows.items()
        if row["leads"]
    ]
    return sorted(found, key=lambda row: (-row["leads"], row["source"]))


def _calls(user, filters) -> tuple[int, int]:
    """Calls made in the window on leads matching the filters that `user` may see."""
    calls = CallLog.objects.filter(
        called_at__gte=ist_midnight(filters["from_date"]),
        called_at__lt=ist_midnight(filters["to_date"] + dt.timedelta(days=1)),
        lead__in=_matching_leads(user, filters),
    )
    counted = calls.aggregate(calls=Count("pk"), missed=Count("pk", filter=Q(outcome__in=MISSED)))
    return counted["calls"], counted["missed"]


def _matching_leads(user, filters):
    leads = Lead.objects.visible_to(user)
    if filters.get("assigned_to"):
        leads = leads.filter(assigned_to__email=filters["assigned_to"])
    if filters.get("source"):
        leads = leads.filter(source=filters["source"])
    if filters.get("pipeline_id"):
        stages = Stage.objects.filter(pipeline_id=filters["pipeline_id"])
        leads = leads.filter(stage__in=stages)
    return leads.values("pk")


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
