"""Analytics over leads created in an IST window: a summary and a breakdown by source. Lead
counts and values come from the lead counts (leads.tally): a few hundred cells, whatever the
number of leads, and by construction the same total as the leads list with the same window
and filters. Calls (called in the window, on leads matching the filters that the user may see)
come from the call counts (calls.tally) the same way."""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from accounts.models import User
from calls import tally as call_tally
from calls.rules import CallOutcome
from leads import tally
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
    """Per source: leads, won, lost, win rate (won / (won + lost)), conversion rate (won /
    leads) and won value; most leads first, then by name ignoring case (as `sort=name` orders
    names)."""
    found = [
        {"source": source, **row, "conversion_rate": _ratio(row["won"], row["leads"])}
        for source, row in _outcomes(tally.per_status(user, filters, by="source")).items()
    ]
    return sorted(found, key=lambda row: (-row["leads"], row["source"].casefold(), row["source"]))


def _calls(user, filters) -> tuple[int, int]:
    """Calls made in the window on leads matching the filters that `user` may see, and how
    many of them were missed: from the call counts (calls.tally)."""
    per_outcome = call_tally.per_outcome(user, filters)
    return sum(per_outcome.values()), sum(per_outcome.get(outcome, 0) for outcome in MISSED)


def reps(user, filters) -> list[dict[str, Any]]:
    """Per assignee of the leads created in the window (and matching the filters) that `user`
    may see: leads, won, lost, win rate (won / (won + lost); None when neither) and won value;
    `rep` is the assignee's email, None for unassigned leads. Most won value first, then by
    email; unassigned leads last. From the lead counts, like the rest."""
    rows = _outcomes(tally.per_status(user, filters, by="assignee"))
    emails = dict(User.objects.filter(pk__in=list(rows)).values_list("pk", "email"))
    found = [{"rep": emails.get(assignee), **row} for assignee, row in rows.items()]
    return sorted(found, key=lambda row: (row["rep"] is None, -row["won_value"], row["rep"] or ""))


def _outcomes(groups) -> dict[Any, dict[str, Any]]:
    """{key: {leads, won, lost, win_rate, won_value}} of tally.per_status(…, by=…) rows
    (key, status, leads, value); keys with no leads left out."""
    rows: dict[Any, dict] = defaultdict(
        lambda: {"leads": 0, "won": 0, "lost": 0, "won_value": Decimal(0)}
    )
    for key, status, leads, value in groups:
        row = rows[key]
        row["leads"] += leads
        if status == LeadStatus.WON:
            row["won"] += leads
            row["won_value"] += value
        elif status == LeadStatus.LOST:
            row["lost"] += leads
    return {
        key: {
            "leads": row["leads"],
            "won": row["won"],
            "lost": row["lost"],
            "win_rate": _ratio(row["won"], row["won"] + row["lost"]),
            "won_value": float(row["won_value"]),
        }
        for key, row in rows.items()
        if row["leads"]
    }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def funnel(user, filters, pipeline) -> dict[str, Any]:
    """The pipeline's steps for the leads created in the window (and matching `assigned_to`
    and `source`) that `user` may see: how many are in each stage now (`current`) and how many
    ever reached it or a later step (`reached`, from each lead's furthest stage). Stages whose
    status is Lost are not steps: they come last, `reached` = the leads that ended there."""
    stages = list(pipeline.stages.all().order_by("position", "id"))  # archived ones too
    active = [stage for stage in stages if stage.archived_at is None]
    pairs = tally.funnel_pairs(user, filters, [stage.pk for stage in stages])
    position = {stage.pk: stage.position for stage in stages}
    lost = {stage.pk for stage in stages if stage.status == LeadStatus.LOST}
    current: dict = defaultdict(int)
    furthest: dict = defaultdict(int)  # how far each lead got: {position: leads}
    for stage_id, furthest_id, n in pairs:
        current[stage_id] += n
        # The furthest stage, or the lead's own stage if it now stands further (stages may
        # have been reordered since); a Lost stage is no step.
        reached_at = max(
            position.get(furthest_id, -1), -1 if stage_id in lost else position.get(stage_id, -1)
        )
        furthest[reached_at] += n
    steps = [stage for stage in active if stage.status != LeadStatus.LOST]
    rows, previous = [], None
    for stage in steps:
        reached = sum(n for at, n in furthest.items() if at >= stage.position)
        rows.append(_funnel_row(stage, current.get(stage.pk, 0), reached, previous))
        previous = reached
    for stage in active:
        if stage.status == LeadStatus.LOST:
            count = current.get(stage.pk, 0)
            rows.append(_funnel_row(stage, count, count, None))
    return {"pipeline_id": str(pipeline.pk), "stages": rows}


def _funnel_row(stage, current: int, reached: int, previous: int | None) -> dict[str, Any]:
    return {
        "stage_id": str(stage.pk),
        "name": stage.name,
        "status": stage.status,
        "current": current,
        "reached": reached,
        "conversion_from_previous": _ratio(reached, previous) if previous is not None else None,
    }
