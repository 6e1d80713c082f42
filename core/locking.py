"""Rows locked with `select_for_update(of=("self",))` after waiting for another transaction.

PostgreSQL then reads the locked row again (its newest version), but not the rows joined to it
by select_related: a foreign key may point at a user or stage other than the one that came
with it, or at one where none came (a task another request has just completed: its `done_by`
set, the joined user still the empty one of the first read).
"""

from typing import TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def joined_rows_current(instance: M) -> M:
    """`instance` with every joined row that no longer matches its foreign key dropped, to be
    read again when used."""
    for field in instance._meta.concrete_fields:
        if not (field.many_to_one and field.is_cached(instance)):
            continue
        related = field.get_cached_value(instance)
        if (related.pk if related is not None else None) != getattr(instance, field.attname):
            field.delete_cached_value(instance)
    return instance


def lock_rows(queryset: models.QuerySet, pks) -> list:
    """The rows of `queryset` with these primary keys, locked for this transaction (`FOR UPDATE
    OF` their own table: what they join stays unlocked), in primary-key order, joined rows
    current. A row whose joined row no longer matches after the wait (an inner join: a lead
    that moved to another stage meanwhile) is dropped from the locking read, though it exists
    and is now locked: such rows are locked again without their joins, and read once held. A
    key that matches nothing costs that one more query."""
    pks = [queryset.model._meta.pk.to_python(pk) for pk in pks]
    locking = queryset.select_for_update(of=("self",)).filter(pk__in=pks).order_by("pk")
    rows = list(locking)
    if len(rows) < len(pks):
        found = {row.pk for row in rows}
        missing = [pk for pk in pks if pk not in found]
        held = list(locking.filter(pk__in=missing).values_list("pk", flat=True))
        if held:
            rows = sorted([*rows, *queryset.filter(pk__in=held)], key=lambda row: row.pk)
    return [joined_rows_current(row) for row in rows]
