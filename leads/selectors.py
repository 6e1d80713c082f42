"""The API's list of leads, in SQL: one COUNT and one page, as plain rows (crm/sql.py says why
this read does not go through the ORM). GET /api/v1/leads/{id} and the UI read through the ORM;
tests hold the two to the same rows."""

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from accounts.models import User
from crm.sql import Columns

from .models import Lead

# The columns a lead's representation reads (LeadSerializer.to_representation), plus
# `assignee_email`. The email comes from a subquery rather than a join so that the COUNT stays a
# count of leads alone: with the join in it PostgreSQL picked a slower index (bench/README.md).
LIST_FIELDS = (
    "id", "name", "email", "phone", "company", "city", "source", "status", "priority",
    "tags", "deal_value", "notes", "created_at", "updated_at",
)  # fmt: skip
_LEAD_COLUMNS = Columns(Lead, LIST_FIELDS, alias="l")


@dataclass(frozen=True)
class LeadPage:
    total: int
    rows: list[dict]


def lead_list(
    *,
    user: User,
    start: dt.datetime,
    end: dt.datetime,
    status: str | None = None,
    source: str | None = None,
    priority: str | None = None,
    assignee_email: str | None = None,
    limit: int,
    offset: int,
) -> LeadPage:
    """Leads created in [start, end) that `user` may see (row-level security: a sales rep sees
    the leads assigned to them), narrowed by the other filters given, newest first (id breaks
    ties), with the total that matched."""
    adapt = connection.ops.adapt_datetimefield_value
    conditions = ["l.created_at >= %s", "l.created_at < %s"]
    params: list = [adapt(start), adapt(end)]
    if not user.is_admin:  # row-level security, as LeadQuerySet.visible_to
        conditions.append("l.assigned_to_id = %s")
        params.append(user.pk)
    for column, value in (("status", status), ("source", source), ("priority", priority)):
        if value:
            conditions.append(f"l.{column} = %s")
            params.append(value)
    if assignee_email:
        # Emails are stored lowercased; the filter is case-insensitive like the rest of the API.
        conditions.append(
            f"l.assigned_to_id = (SELECT u.id FROM {User._meta.db_table} u WHERE u.email = %s)"
        )
        params.append(assignee_email.strip().lower())
    where = " AND ".join(conditions)
    table = Lead._meta.db_table

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} l WHERE {where}", params)
        (total,) = cursor.fetchone()
        rows = []
        if offset < total:
            cursor.execute(
                f"SELECT {_LEAD_COLUMNS.select}, "
                f"(SELECT u.email FROM {User._meta.db_table} u WHERE u.id = l.assigned_to_id) "
                f"FROM {table} l WHERE {where} "
                "ORDER BY l.created_at DESC, l.id DESC LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            rows = cursor.fetchall()

    return LeadPage(total=total, rows=_LEAD_COLUMNS.as_dicts(rows, extra=["assignee_email"]))
