"""Reading leads. The API's list is SQL: one COUNT and one page, as plain rows (core/sql.py says
why this read does not go through the ORM). Its conditions come from the filter table
(leads.listing) and the visibility rule (leads.rules), which the ORM reads too; tests hold the
two to the same rows."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.db.transaction import TransactionManagementError

from accounts.models import User
from core.listing import keyset_condition
from core.sql import Columns
from pipelines.models import Stage

from . import tally
from .listing import LeadFilter
from .models import Lead
from .representation import COLUMNS, EXTRA
from .rules import normalize_email, normalize_phone, visible_leads_sql

_LEAD_COLUMNS = Columns(Lead, COLUMNS, alias="l")
# The assignee's email comes from a subquery rather than a join so that the COUNT stays a
# count of leads alone: with the join in it PostgreSQL picked a slower index (bench/README.md).
_ASSIGNEE_EMAIL = f"(SELECT u.email FROM {User._meta.db_table} u WHERE u.id = l.assigned_to_id)"
# The stage's name and pipeline, joined in the page's query only (the COUNT reads leads alone).
_STAGE = Stage._meta.db_table
# Not shown, but a sort column (sort=name): the next page's cursor is made of the last row's.
_SORT_ONLY = ("name_key",)


@dataclass(frozen=True)
class LeadPage:
    total: int
    rows: list[dict]
    more: bool = False  # whether a row follows the page's last


def lead_list(
    *,
    user: User,
    filters: Mapping[str, Any],
    limit: int,
    offset: int | None,
    after: Sequence | None = None,
) -> LeadPage:
    """Leads matching `filters` (LeadFilter.validated values) that `user` may see, in the order
    they ask for (newest first by default; id breaks ties), with the total that matched. The
    page is `limit` rows from `offset`, or (a keyset page, at any depth) the `limit` rows after
    `after`: the values of the ordering's columns of a row (api.pagination's cursor)."""
    conditions, params = LeadFilter.sql(filters, "l")
    visibility, visibility_params = visible_leads_sql(user, "l")
    where = " AND ".join([*visibility, *conditions]) or "TRUE"
    params = [*visibility_params, *params]
    table = Lead._meta.db_table
    page_where, page_params = where, params
    if after is not None:
        ordering = LeadFilter.ordering(filters)
        keyset, keyset_params = keyset_condition(Lead, ordering, "l", after)
        page_where, page_params = f"{where} AND {keyset}", [*params, *keyset_params]

    with connection.cursor() as cursor:
        if tally.counts_filters(filters):  # a sum of a few cells, not a count of the window
            total = tally.total(user, filters)
        else:
            cursor.execute(f"SELECT COUNT(*) FROM {table} l WHERE {where}", params)
            (total,) = cursor.fetchone()
        rows = []
        if after is not None or offset < total:
            # One row more than the page: whether another follows (the next cursor).
            cursor.execute(
                f"SELECT {_LEAD_COLUMNS.select}, {_ASSIGNEE_EMAIL}, s.name, s.pipeline_id, "
                f"l.name_key "
                f"FROM {table} l JOIN {_STAGE} s ON s.id = l.stage_id WHERE {page_where} "
                f"ORDER BY {LeadFilter.sql_ordering(filters, 'l')} LIMIT %s OFFSET %s",
                [*page_params, limit + 1, offset or 0],
            )
            rows = cursor.fetchall()

    more = len(rows) > limit
    rows = _LEAD_COLUMNS.as_dicts(rows[:limit], extra=(*EXTRA, *_SORT_ONLY))
    return LeadPage(total=total, rows=rows, more=more)


def lock_matching_ids(*, phone_key: str | None, email_key: str | None) -> list:
    """The ids of the leads holding this phone (E.164) or email (its key), locked for this
    transaction in id order, as core.locking.lock_rows's first statement locks rows (no joins;
    two writers of the same leads wait for each other instead of deadlocking). In SQL: every
    create and merge asks, and the ORM took 0.5 ms of the app's CPU to write this query, four
    times what it costs to send and run it (bench/README.md)."""
    if not connection.in_atomic_block:  # as select_for_update() refuses to
        raise TransactionManagementError("lock_matching_ids must run inside a transaction.")
    keys = {"phone_e164": phone_key, "email_key": email_key}
    given = {column: value for column, value in keys.items() if value}
    if not given:
        return []
    where = " OR ".join(f"{column} = %s" for column in given)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    to_id = Lead._meta.pk.to_python
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Lead._meta.db_table} WHERE {where} ORDER BY id{lock}",
            list(given.values()),
        )
        return [to_id(row[0]) for row in cursor.fetchall()]  # (SQLite: hex text)


def lead_duplicates(
    *, phone: str | None, email: str | None, exclude: Lead | None = None
) -> dict[str, Lead]:
    """{"phone": lead, "email": lead} for the leads already holding this phone (as E.164) or
    email (ignoring case): where a new lead with them would merge."""
    keys = {}
    if phone:
        keys["phone"] = ("phone_e164", normalize_phone(phone))
    if email:
        keys["email"] = ("email_key", normalize_email(email))
    found = {}
    for field, (column, value) in keys.items():
        leads = Lead.objects.select_related("assigned_to", "stage").filter(**{column: value})
        if exclude is not None:
            leads = leads.exclude(pk=exclude.pk)
        if (lead := leads.first()) is not None:
            found[field] = lead
    return found


@dataclass(frozen=True)
class StageTotal:
    count: int
    deal_value: Decimal  # 0 for an empty stage


def stage_totals(leads: QuerySet, stage_ids: Iterable) -> dict[Any, StageTotal]:
    """{stage id: how many of `leads` are in it and their deal values' sum}, every stage in
    `stage_ids` present: one GROUP BY, whatever the number of stages."""
    stage_ids = list(stage_ids)
    totals = dict.fromkeys(stage_ids, StageTotal(0, Decimal(0)))
    grouped = (
        leads.filter(stage_id__in=stage_ids)
        .order_by()
        .values("stage_id")
        # COUNT(*), not COUNT(id): PostgreSQL then reads (stage_id, deal_value) from the index
        # alone, about twice as fast as the table scan COUNT(id) needs (bench/README.md).
        .annotate(count=Count("*"), value=Sum("deal_value"))
    )
    for row in grouped:
        totals[row["stage_id"]] = StageTotal(row["count"], row["value"] or Decimal(0))
    return totals


def stage_totals_counted(stage_ids: Iterable, user=None) -> dict[Any, StageTotal]:
    """stage_totals of every lead `user` may see (everyone's without a user), unfiltered: read
    from the lead counts (leads.tally.per_stage), so it costs the same at any number of leads."""
    stage_ids = list(stage_ids)
    totals = dict.fromkeys(stage_ids, StageTotal(0, Decimal(0)))
    for stage_id, (count, value) in tally.per_stage(stage_ids, user).items():
        totals[stage_id] = StageTotal(count, value)
    return totals


def stage_cards(leads: QuerySet, stage_ids: Iterable, *, per_stage: int) -> dict[Any, list[Lead]]:
    """{stage id: its first `per_stage` of `leads`, latest arrival in the stage first}: one
    query whatever the number of stages. On PostgreSQL a UNION of one slice per stage, each
    read from the stage's index; SQLite cannot slice inside a UNION, so there a window
    function numbers each stage's leads."""
    stage_ids = list(stage_ids)
    cards: dict[Any, list[Lead]] = {stage_id: [] for stage_id in stage_ids}
    if not stage_ids:
        return cards
    order = ("-stage_entered_at", "-id")
    # (A card shows its assignee's name: their password and login times are not read.)
    assignee = ("assigned_to__password", "assigned_to__last_login", "assigned_to__date_joined")
    ordered = leads.select_related("assigned_to").defer(*assignee).order_by(*order)
    if connection.features.supports_slicing_ordering_in_compound:
        slices = [ordered.filter(stage_id=stage_id)[:per_stage] for stage_id in stage_ids]
        found = slices[0].union(*slices[1:], all=True) if len(slices) > 1 else slices[0]
    else:
        rank = Window(RowNumber(), partition_by=[F("stage_id")], order_by=order)
        found = (
            ordered.filter(stage_id__in=stage_ids).annotate(rank=rank).filter(rank__lte=per_stage)
        )
    for lead in found:
        cards[lead.stage_id].append(lead)
    for stage_leads in cards.values():
        stage_leads.sort(key=lambda lead: (lead.stage_entered_at, str(lead.pk)), reverse=True)
    return cards
