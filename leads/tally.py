"""Lead counts per IST day, kept exact in the transaction of every change: the totals of the
leads list and the analytics read a few hundred small rows instead of every lead of a window.

A lead counts in the cells of its IST creation day and its four dimensions (assignee, stage,
source, priority), and in every roll-up of them: the same cells with any of the dimensions
replaced by ANY. That is 16 cells per lead; a total for any window and any equality filters on
the dimensions (and row-level security, which is the assignee) then reads one cell per day (per
shard): `SUM` over at most days × SHARDS rows, whatever the number of leads. The funnel adds 4
cells per lead with a fifth dimension, the furthest stage the lead reached (its stage and
furthest stage; its assignee or ANY; its source or ANY); the 16 hold ANY there. All 20 are
written in one statement. Each change adds to one of core.tally.SHARDS copies of its cells,
picked at random, so that simultaneous creates do not all wait on the one row of today's grand
total.

Every save and delete of a lead counts itself (Lead.save / Lead.delete call `lead_moved`), so
no path can forget; what bypasses them (a queryset update, COPY) must call `rebuild()` here and
calls.tally's (`manage.py rebuild_lead_tally`, `rebuild_call_tally`: a lead's assignee, source
and stage are dimensions of its calls' counts too), or count its leads itself as leads.bulk
does (`leads_moved`, and `regrouped` for their calls).
"""

import dataclasses
import datetime as dt
import itertools
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.dispatch import Signal

from core import tally as counts
from core.dates import IST

ANY_USER = -1  # any assignee (NOBODY, 0, is "unassigned")
NOBODY = 0
ANY_STAGE = uuid.UUID(int=0)
NO_STAGE = uuid.UUID(int=1)  # a furthest stage that is none (a lead that went straight to Lost)
ANY_TEXT = ""  # any source, any priority (neither may be blank)

# Leads' counted dimensions changed, or they are about to be deleted: sent with `moves`, a list
# of (lead id, LeadKey before, LeadKey after or None), so that what is counted per lead
# elsewhere (calls.tally: each call by its lead's assignee, source and pipeline) moves with them.
regrouped = Signal()


@dataclass(frozen=True)
class LeadKey:
    """What a lead is counted by."""

    day: dt.date
    assignee: int
    stage_id: uuid.UUID
    source: str
    priority: str
    value: Decimal
    furthest: uuid.UUID = NO_STAGE  # the furthest funnel step it reached (the funnel's cells)


def key_of(
    created_at, assigned_to_id, stage_id, source, priority, deal_value, furthest_stage_id
) -> LeadKey:
    return LeadKey(
        created_at.astimezone(IST).date(),
        assigned_to_id or NOBODY,
        stage_id,
        source,
        priority,
        Decimal(str(deal_value)) if deal_value is not None else Decimal(0),
        furthest_stage_id or NO_STAGE,
    )


def cells(key: LeadKey) -> list[tuple]:
    """The 20 cells a lead with this key counts in, as (assignee, stage_id, source, priority,
    furthest stage, day): the 16 of the totals, each of the first four dimensions either its
    value or ANY (furthest ANY); and the funnel's 4, with its stage and furthest stage and
    either its assignee or ANY and its source or ANY (priority ANY)."""
    choices = (
        (key.assignee, ANY_USER),
        (key.stage_id, ANY_STAGE),
        (key.source, ANY_TEXT),
        (key.priority, ANY_TEXT),
    )
    totals = [(*dims, ANY_STAGE, key.day) for dims in itertools.product(*choices)]
    funnel = [
        (assignee, key.stage_id, source, ANY_TEXT, key.furthest, key.day)
        for assignee in (key.assignee, ANY_USER)
        for source in (key.source, ANY_TEXT)
    ]
    return totals + funnel


def lead_moved(before: LeadKey | None, after: LeadKey | None) -> None:
    """A lead was created (before None), changed, or deleted (after None): move its count."""
    if before != after:
        leads_moved([(before, after)])


def leads_added(keys: Iterable[LeadKey]) -> None:
    """Leads created together (a bulk import): one statement for all of them."""
    leads_moved((None, key) for key in keys)


def leads_moved(moves: Iterable[tuple[LeadKey | None, LeadKey | None]]) -> None:
    """lead_moved for many leads (a bulk edit or delete): (before, after) pairs, counted once
    per distinct pair (leads changed alike share one), written in one statement."""
    deltas: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for (before, after), leads in Counter(moves).items():
        if before == after:
            continue
        for key, sign in ((before, -leads), (after, leads)):
            if key is None:
                continue
            for cell in cells(key):
                deltas[cell][0] += sign
                deltas[cell][1] += sign * key.value
    _add(deltas)


DIMENSIONS = ("assignee", "stage_id", "source", "priority", "furthest_stage_id", "day")
MEASURES = ("leads", "value")


def batch():
    """core.tally.batch: a bulk import's count changes written once, in one sorted statement."""
    return counts.batch()


def _add(deltas: dict[tuple, list]) -> None:
    from .models import LeadTally

    counts.add(LeadTally, DIMENSIONS, MEASURES, deltas)


def rebuild(lead_model=None, tally_model=None) -> int:
    """Count every lead again from scratch (a migration, after a COPY or a bulk update);
    returns how many cells were written. Takes the models (a migration passes its own)."""
    if lead_model is None:
        from .models import Lead as lead_model
        from .models import LeadTally as tally_model
    return counts.replace_all(tally_model, DIMENSIONS, MEASURES, lambda: cube(lead_model))


def cube(lead_model) -> dict[tuple, list]:
    """{cell: [leads, value]} as counting the leads table now gives them (rebuild; and the
    tests, which hold the kept cells to it)."""
    groups = (
        lead_model.objects.annotate(day=TruncDate("created_at", tzinfo=IST))
        .values("day", "assigned_to_id", "stage_id", "source", "priority", "furthest_stage_id")
        .annotate(leads=Count("*"), value=Sum("deal_value"))
        .order_by()
    )
    totals: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for group in groups.iterator(chunk_size=5000):
        key = LeadKey(
            group["day"],
            group["assigned_to_id"] or NOBODY,
            group["stage_id"],
            group["source"],
            group["priority"],
            Decimal(0),
            group["furthest_stage_id"] or NO_STAGE,
        )
        for cell in cells(key):
            totals[cell][0] += group["leads"]
            totals[cell][1] += group["value"] or Decimal(0)
    return dict(totals)


def kept(tally_model=None) -> dict[tuple, list]:
    """{cell: [leads, value]} as the tally holds them, shards added up, empty cells left out."""
    if tally_model is None:
        from .models import LeadTally as tally_model
    summed = tally_model.objects.values(*DIMENSIONS).annotate(n=Sum("leads"), v=Sum("value"))
    return {
        tuple(row[name] for name in DIMENSIONS): [row["n"], row["v"]]
        for row in summed.order_by()
        if row["n"] or row["v"]
    }


def unassigned(leads) -> None:
    """These leads' assignee is being deleted (the database sets it to nobody, with no save):
    move their counts to nobody first."""
    deltas: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    moves = []
    for lead in leads:
        before = lead.tally_key()
        after = dataclasses.replace(before, assignee=NOBODY)
        moves.append((lead.pk, before, after))
        for key, sign in ((before, -1), (after, 1)):
            for cell in cells(key):
                deltas[cell][0] += sign
                deltas[cell][1] += sign * key.value
    if moves:  # (their calls' counts first: core.tally.ORDER)
        regrouped.send(sender=None, moves=moves)
    _add(deltas)


# --- Reading ------------------------------------------------------------------------------------

# The list filters that are dimensions of the tally (any other filter is counted directly).
DIMENSION_FILTERS = frozenset(
    {"from_date", "to_date", "status", "source", "priority", "assigned_to", "pipeline_id",
     "stage_id", "sort"}
)  # fmt: skip


def counts_filters(filters) -> bool:
    """Whether the tally can count leads matching these (cleaned) list filters."""
    given = {name for name, value in filters.items() if value not in (None, "", [])}
    return given <= DIMENSION_FILTERS


def total(user, filters) -> int:
    """How many leads match `filters` (LeadFilter.validated values, all of them dimensions:
    counts_filters) that `user` may see: one SUM over at most days × SHARDS cells."""
    from pipelines.models import Stage

    from .models import LeadTally

    conditions, params = _total_conditions(user, filters)
    conditions.append("t.priority = %s")
    params.append(filters.get("priority") or ANY_TEXT)
    conditions.append("t.source = %s")
    params.append(filters.get("source") or ANY_TEXT)
    stage_filters, stage_params = [], []
    if filters.get("status"):
        stage_filters.append("s.status = %s")
        stage_params.append(filters["status"])
    if filters.get("pipeline_id"):
        stage_filters.append("s.pipeline_id = %s")
        stage_params.append(_uuid(filters["pipeline_id"]))
    if filters.get("stage_id"):
        conditions.append("t.stage_id = %s")
        params.append(_uuid(filters["stage_id"]))
    if stage_filters:
        conditions.append(
            f"t.stage_id IN (SELECT s.id FROM {Stage._meta.db_table} s "
            f"WHERE {' AND '.join(stage_filters)})"
        )
        params += stage_params
    if not filters.get("stage_id") and not stage_filters:
        conditions.append("t.stage_id = %s")
        params.append(_uuid(ANY_STAGE))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM(t.leads), 0) FROM {LeadTally._meta.db_table} t "
            f"WHERE {' AND '.join(conditions)}",
            params,
        )
        return int(cursor.fetchone()[0])


def per_status(user, filters, *, by: str | None = None) -> list[tuple]:
    """[(status, leads, value)] — or, `by` "source" or "assignee", [(source or assignee id,
    status, leads, value)] — of the leads matching `filters` (analytics: the window,
    `assigned_to`, `source`, `pipeline_id`) that `user` may see: one grouped SUM over at most
    days × stages (× sources or assignees) × SHARDS cells."""
    from pipelines.models import Stage

    from .models import LeadTally

    conditions, params = _total_conditions(user, filters, each_assignee=by == "assignee")
    conditions.append("t.priority = %s")
    params.append(ANY_TEXT)
    if filters.get("source"):
        conditions.append("t.source = %s")
        params.append(filters["source"])
    elif by == "source":
        conditions.append("t.source <> %s")
        params.append(ANY_TEXT)
    else:
        conditions.append("t.source = %s")
        params.append(ANY_TEXT)
    if filters.get("pipeline_id"):
        conditions.append("s.pipeline_id = %s")
        params.append(_uuid(filters["pipeline_id"]))
    group = {None: "s.status", "source": "t.source, s.status", "assignee": "t.assignee, s.status"}[
        by
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {group}, SUM(t.leads), SUM(t.value) FROM {LeadTally._meta.db_table} t "
            f"JOIN {Stage._meta.db_table} s ON s.id = t.stage_id "
            f"WHERE {' AND '.join(conditions)} GROUP BY {group}",
            params,
        )
        return [
            (*row[:-2], int(row[-2]), Decimal(str(row[-1] or 0)).quantize(Decimal("0.01")))
            for row in cursor.fetchall()
        ]


def per_day(user, filters) -> dict[dt.date, int]:
    """{IST day: leads created} of the days that have any, for analytics `filters` (the
    window, `assigned_to`, `source`, `pipeline_id`) and what `user` may see: one grouped SUM
    over at most days × SHARDS cells (× the pipeline's stages)."""
    from pipelines.models import Stage

    from .models import LeadTally

    conditions, params = _total_conditions(user, filters)
    conditions.append("t.priority = %s")
    params.append(ANY_TEXT)
    conditions.append("t.source = %s")
    params.append(filters.get("source") or ANY_TEXT)
    if filters.get("pipeline_id"):
        conditions.append(
            f"t.stage_id IN (SELECT s.id FROM {Stage._meta.db_table} s WHERE s.pipeline_id = %s)"
        )
        params.append(_uuid(filters["pipeline_id"]))
    else:
        conditions.append("t.stage_id = %s")
        params.append(_uuid(ANY_STAGE))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.day, SUM(t.leads) FROM {LeadTally._meta.db_table} t "
            f"WHERE {' AND '.join(conditions)} GROUP BY t.day",
            params,
        )
        return {as_day(day): int(leads) for day, leads in cursor.fetchall() if leads}


def sources(user) -> list[str]:
    """The sources of the leads `user` may see, in order: one grouped SUM over the cells of
    every day (no window), not a DISTINCT over every lead."""
    from .models import LeadTally

    conditions, params = _total_conditions(user, {})
    conditions += ["t.stage_id = %s", "t.priority = %s", "t.source <> %s"]
    params += [_uuid(ANY_STAGE), ANY_TEXT, ANY_TEXT]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.source FROM {LeadTally._meta.db_table} t "
            f"WHERE {' AND '.join(conditions)} GROUP BY t.source HAVING SUM(t.leads) > 0 "
            "ORDER BY t.source",
            params,
        )
        return [source for (source,) in cursor.fetchall()]


def per_stage(stage_ids, user=None) -> dict[uuid.UUID, tuple[int, Decimal]]:
    """{stage id: (leads, deal values' sum)} of every lead in these stages (of any creation
    day) that `user` may see, or everyone's without a user: one grouped SUM over the stages'
    cells of every day, not a count of their leads."""
    from .models import LeadTally

    stage_ids = list(stage_ids)
    if not stage_ids:
        return {}
    mine = user is not None and not user.is_admin
    stages = ", ".join(["%s"] * len(stage_ids))
    conditions = ["t.assignee = %s", "t.furthest_stage_id = %s", "t.priority = %s",
                  "t.source = %s", f"t.stage_id IN ({stages})"]  # fmt: skip
    params = [user.pk if mine else ANY_USER, _uuid(ANY_STAGE), ANY_TEXT, ANY_TEXT]
    params += [_uuid(stage_id) for stage_id in stage_ids]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.stage_id, SUM(t.leads), SUM(t.value) FROM {LeadTally._meta.db_table} t "
            f"WHERE {' AND '.join(conditions)} GROUP BY t.stage_id",
            params,
        )
        rows = cursor.fetchall()
    field = LeadTally._meta.get_field("stage_id")
    return {
        field.to_python(stage_id): (int(leads), Decimal(str(value or 0)).quantize(Decimal("0.01")))
        for stage_id, leads, value in rows
    }


def funnel_pairs(user, filters, stage_ids) -> list[tuple]:
    """[(stage id, furthest stage id or None, leads)] of the leads in these stages (a
    pipeline's, archived ones too) created in the window (and matching `assigned_to` and
    `source`) that `user` may see: one grouped SUM over the funnel's cells, at most days ×
    stages × furthest stages × SHARDS. Both stage lists are spelled out, so that PostgreSQL
    seeks each (furthest, stage) pair's days in the cells' index; `furthest <> ANY` walked every
    cell of the assignee instead, all days of every pipeline (28 ms → 0.8 ms at 100k leads)."""
    from .models import LeadTally

    stage_ids = [_uuid(stage_id) for stage_id in stage_ids]
    if not stage_ids:
        return []
    conditions, params = common_conditions(user, filters)
    stages = ", ".join(["%s"] * len(stage_ids))
    conditions += ["t.priority = %s", "t.source = %s", f"t.furthest_stage_id IN ({stages}, %s)",
                   f"t.stage_id IN ({stages})"]  # fmt: skip
    params += [ANY_TEXT, filters.get("source") or ANY_TEXT, *stage_ids, _uuid(NO_STAGE)]
    params += stage_ids
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.stage_id, t.furthest_stage_id, SUM(t.leads) "
            f"FROM {LeadTally._meta.db_table} t WHERE {' AND '.join(conditions)} "
            "GROUP BY t.stage_id, t.furthest_stage_id",
            params,
        )
        rows = cursor.fetchall()
    field = LeadTally._meta.get_field("stage_id")
    pairs = []
    for stage_id, furthest_id, leads in rows:
        stage_id, furthest_id = (field.to_python(value) for value in (stage_id, furthest_id))
        if leads:
            pairs.append((stage_id, None if furthest_id == NO_STAGE else furthest_id, int(leads)))
    return pairs


def _total_conditions(user, filters, *, each_assignee=False) -> tuple[list[str], list]:
    """common_conditions, on the totals' cells (not the funnel's)."""
    conditions, params = common_conditions(user, filters, each_assignee=each_assignee)
    conditions.append("t.furthest_stage_id = %s")
    params.append(_uuid(ANY_STAGE))
    return conditions, params


def as_day(value) -> dt.date:
    """SQLite hands a day back as text, PostgreSQL as a date."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def common_conditions(user, filters, *, each_assignee=False) -> tuple[list[str], list]:
    """Row-level security (what the user's leads are: their assignee), the assignee filter and
    the window, on a tally aliased `t` with `assignee` and `day` (calls.tally's too)."""
    from accounts.models import User

    conditions, params = [], []
    if not user.is_admin:  # row-level security: the rep's own leads
        conditions.append("t.assignee = %s")
        params.append(user.pk)
    if filters.get("assigned_to"):
        conditions.append(f"t.assignee = (SELECT id FROM {User._meta.db_table} WHERE email = %s)")
        params.append(filters["assigned_to"])
    elif user.is_admin and each_assignee:
        # Each assignee's own cells, one index range per user (and nobody's). `<> ANY_USER`
        # read every cell of every day: the reports' by-rep table took 33 ms at 100k leads and
        # 47 ms at 1M; 16 and 17 ms so.
        conditions.append(
            f"t.assignee IN (SELECT id FROM {User._meta.db_table} UNION ALL SELECT %s)"
        )
        params.append(NOBODY)
    elif user.is_admin:  # every assignee: the ANY cells
        conditions.append("t.assignee = %s")
        params.append(ANY_USER)
    for name, operator in (("from_date", ">="), ("to_date", "<=")):
        if filters.get(name):
            conditions.append(f"t.day {operator} %s")
            params.append(connection.ops.adapt_datefield_value(filters[name]))
    return conditions, params


def _uuid(value):
    from .models import LeadTally

    return LeadTally._meta.get_field("stage_id").get_db_prep_value(value, connection)
