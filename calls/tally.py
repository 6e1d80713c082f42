"""Call counts per IST day, kept exact in the transaction of every change: the call list's
total and the analytics' calls and missed calls read a few hundred small rows instead of every
call of a window (core.tally writes them; leads.tally does the same for leads).

A call counts on the IST day it was made, by its type and outcome and by three things of its
lead: the assignee (row-level security), the source and the pipeline (the analytics' filters).
Its cells: for the list, every combination of {assignee, ANY} × {type, ANY} × {outcome, ANY}
with source and pipeline ANY; for the analytics, {assignee, ANY} × {source, ANY} × {pipeline,
ANY} with type ANY and its outcome (a total sums the outcomes). 14 cells, one statement.

A call counts itself on every save and delete (CallLog.save/delete). When its lead's assignee,
source or pipeline changes, or the lead is deleted (its calls with it), leads.tally's
`regrouped` signal moves the counts of all its calls; deleting a user moves their leads' calls
to "nobody" the same way. What bypasses all that (a queryset update or delete of calls, COPY)
must call `rebuild()` (`manage.py rebuild_call_tally`).
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from core import tally as counts
from core.dates import IST
from leads.tally import ANY_USER, NOBODY, as_day, common_conditions

ANY_PIPELINE = uuid.UUID(int=0)
ANY_TEXT = ""  # any source, type or outcome (none may be blank)
DIMENSIONS = ("assignee", "pipeline_id", "source", "call_type", "outcome", "day")
MEASURES = ("calls",)


@dataclass(frozen=True)
class LeadDims:
    """What a call counts by that belongs to its lead."""

    assignee: int
    pipeline_id: uuid.UUID | None
    source: str


@dataclass(frozen=True)
class CallKey:
    """What a call is counted by."""

    day: dt.date
    lead: LeadDims
    call_type: str
    outcome: str


_pipelines: dict[uuid.UUID, uuid.UUID] = {}  # stage id → its pipeline (never changes)


def pipeline_of(stage_id) -> uuid.UUID | None:
    if stage_id is None:
        return None
    if stage_id not in _pipelines:
        from pipelines.models import Stage

        found = Stage.objects.filter(pk=stage_id).values_list("pipeline_id", flat=True).first()
        if found is None:
            return None
        _pipelines[stage_id] = found
    return _pipelines[stage_id]


def dims_of_lead(lead) -> LeadDims:
    return LeadDims(lead.assigned_to_id or NOBODY, pipeline_of(lead.stage_id), lead.source)


def dims_of_key(key) -> LeadDims:
    """The dimensions of a lead as leads.tally counts it (a LeadKey)."""
    return LeadDims(key.assignee, pipeline_of(key.stage_id), key.source)


def key_of(called_at, call_type: str, outcome: str, lead: LeadDims) -> CallKey:
    return CallKey(called_at.astimezone(IST).date(), lead, call_type, outcome)


def cells(key: CallKey) -> set[tuple]:
    """The 14 cells a call with this key counts in (the module's docstring says which)."""
    found = set()
    lead = key.lead
    for assignee in (lead.assignee, ANY_USER):
        for call_type in (key.call_type, ANY_TEXT):
            for outcome in (key.outcome, ANY_TEXT):
                found.add((assignee, ANY_PIPELINE, ANY_TEXT, call_type, outcome, key.day))
        for pipeline_id in (lead.pipeline_id or ANY_PIPELINE, ANY_PIPELINE):
            for source in (lead.source, ANY_TEXT):
                found.add((assignee, pipeline_id, source, ANY_TEXT, key.outcome, key.day))
    return found


def call_moved(before: CallKey | None, after: CallKey | None) -> None:
    """A call was logged (before None), changed, or deleted (after None): move its count."""
    if before == after:
        return
    deltas = counts.deltas(1)
    for key, sign in ((before, -1), (after, 1)):
        if key is not None:
            for cell in cells(key):
                deltas[cell][0] += sign
    _add(deltas)


def leads_regrouped(moves: Iterable[tuple]) -> None:
    """Leads' dimensions changed, or the leads are being deleted: `moves` are (lead id, its
    LeadKey before, after or None). Their calls' counts move with them, read with one grouped
    query per 500 leads."""
    changed = {}
    for lead_id, before, after in moves:
        old = dims_of_key(before)
        new = dims_of_key(after) if after is not None else None
        if old != new:
            changed[lead_id] = (old, new)
    if not changed:
        return
    from .models import CallLog

    deltas = counts.deltas(1)
    ids = list(changed)
    for start in range(0, len(ids), 500):
        groups = (
            CallLog.objects.filter(lead_id__in=ids[start : start + 500])
            .annotate(day=TruncDate("called_at", tzinfo=IST))
            .values("lead_id", "day", "call_type", "outcome")
            .annotate(n=Count("*"))
            .order_by()
        )
        for group in groups:
            old, new = changed[group["lead_id"]]
            day = as_day(group["day"])
            for dims, sign in ((old, -1), (new, 1)):
                if dims is not None:
                    key = CallKey(day, dims, group["call_type"], group["outcome"])
                    for cell in cells(key):
                        deltas[cell][0] += sign * group["n"]
    _add(deltas)


def _add(deltas: dict[tuple, list]) -> None:
    from .models import CallTally

    counts.add(CallTally, DIMENSIONS, MEASURES, deltas)


def rebuild(call_model=None, tally_model=None) -> int:
    """Count every call again from scratch (a migration, after a COPY or a bulk update);
    returns how many cells were written. Takes the models (a migration passes its own)."""
    if call_model is None:
        from .models import CallLog as call_model
        from .models import CallTally as tally_model
    cells = lambda: {cell: [n] for cell, n in cube(call_model).items()}  # noqa: E731
    return counts.replace_all(tally_model, DIMENSIONS, MEASURES, cells)


def cube(call_model) -> dict[tuple, int]:
    """{cell: calls} as counting the calls table now gives them (rebuild; and the tests, which
    hold the kept cells to it)."""
    groups = (
        call_model.objects.annotate(day=TruncDate("called_at", tzinfo=IST))
        .values(
            "day",
            "call_type",
            "outcome",
            "lead__assigned_to_id",
            "lead__source",
            "lead__stage__pipeline_id",
        )
        .annotate(n=Count("*"))
        .order_by()
    )
    totals: dict[tuple, int] = defaultdict(int)
    for group in groups.iterator(chunk_size=5000):
        dims = LeadDims(
            group["lead__assigned_to_id"] or NOBODY,
            group["lead__stage__pipeline_id"],
            group["lead__source"],
        )
        key = CallKey(as_day(group["day"]), dims, group["call_type"], group["outcome"])
        for cell in cells(key):
            totals[cell] += group["n"]
    return {cell: n for cell, n in totals.items() if n}


def kept(tally_model=None) -> dict[tuple, int]:
    """{cell: calls} as the tally holds them, shards added up, empty cells left out."""
    if tally_model is None:
        from .models import CallTally as tally_model

    summed = tally_model.objects.values(*DIMENSIONS).annotate(n=Sum("calls")).order_by()
    return {tuple(row[name] for name in DIMENSIONS): row["n"] for row in summed if row["n"]}


# --- Reading ------------------------------------------------------------------------------------

# The call list's filters that are dimensions (`lead_id` is counted directly, by its index).
DIMENSION_FILTERS = frozenset({"from_date", "to_date", "call_type", "outcome"})


def counts_filters(filters) -> bool:
    """Whether the counts can answer the call list's total for these (cleaned) filters."""
    given = {name for name, value in filters.items() if value not in (None, "", [])}
    return given <= DIMENSION_FILTERS


def total(user, filters) -> int:
    """How many calls match the call list's `filters` (all of them dimensions: counts_filters)
    that `user` may see: one SUM over at most days × SHARDS cells."""
    conditions, params = common_conditions(user, filters)
    for name in ("call_type", "outcome"):
        conditions.append(f"t.{name} = %s")
        params.append(filters.get(name) or ANY_TEXT)
    conditions += ["t.pipeline_id = %s", "t.source = %s"]
    params += [_uuid(ANY_PIPELINE), ANY_TEXT]
    return _sum(conditions, params, "")[0][0]


def per_outcome(user, filters) -> dict[str, int]:
    """{outcome: calls} made in the analytics window on leads matching `assigned_to`, `source`
    and `pipeline_id` that `user` may see: one grouped SUM over days × outcomes × SHARDS cells."""
    conditions, params = common_conditions(user, filters)
    conditions.append("t.call_type = %s")
    params.append(ANY_TEXT)
    conditions.append("t.outcome <> %s")
    params.append(ANY_TEXT)
    conditions.append("t.source = %s")
    params.append(filters.get("source") or ANY_TEXT)
    conditions.append("t.pipeline_id = %s")
    params.append(_uuid(filters.get("pipeline_id") or ANY_PIPELINE))
    return {outcome: n for outcome, n in _sum(conditions, params, "t.outcome") if n}


def _sum(conditions: list[str], params: list, group: str) -> list[tuple]:
    from .models import CallTally

    select = f"{group}, " if group else ""
    grouping = f" GROUP BY {group}" if group else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select}COALESCE(SUM(t.calls), 0) FROM {CallTally._meta.db_table} t "  # noqa: S608
            f"WHERE {' AND '.join(conditions)}{grouping}",
            params,
        )
        return [(*row[:-1], int(row[-1])) for row in cursor.fetchall()]


def _uuid(value):
    from .models import CallTally

    return CallTally._meta.get_field("pipeline_id").get_db_prep_value(value, connection)
