"""Reading tasks: the look for an open call-back that every completed call makes, in SQL
(core/sql.py says why)."""

import datetime as dt
import uuid

from django.db import connection

from .models import Task
from .rules import TaskKind


def open_call_back_ids(
    lead_id: uuid.UUID, *, opened_by: dt.datetime | None = None, call_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """The ids of the lead's open call-backs (Task.objects.open(): not done) opened at or before
    `opened_by`, or opened by the call `call_id`: one probe of the index of open call-backs
    (a lead has at most one)."""
    if (opened_by is None) == (call_id is None):
        raise ValueError("Give opened_by or call_id.")
    field = Task._meta.get_field
    params = [field("lead").get_db_prep_value(lead_id, connection), TaskKind.CALL_BACK]
    if call_id is not None:
        by, value = field("call_id"), call_id
        condition = f"{by.column} = %s"
    else:
        by, value = field("created_at"), opened_by
        condition = f"{by.column} <= %s"
    params.append(by.get_db_prep_value(value, connection))
    columns = {name: field(name).column for name in ("id", "lead", "kind", "done_at")}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns['id']} FROM {Task._meta.db_table} "  # (names from the model)
            f"WHERE {columns['lead']} = %s AND {columns['kind']} = %s "
            f"AND {columns['done_at']} IS NULL AND {condition}",
            params,
        )
        rows = cursor.fetchall()
    to_python = field("id").to_python
    return [to_python(task_id) for (task_id,) in rows]
