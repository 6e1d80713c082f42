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


def lock_rows(queryset: models.QuerySet) -> list:
    """The rows of `queryset`, locked for this transaction, in primary-key order, and read as
    they are once held. Locking and reading are two statements: the lock is taken without
    joins (`FOR UPDATE OF` the rows' own table, in key order, so that two writers of the same
    rows wait for each other instead of deadlocking), then the rows are read with their joins
    and filters again, in a new snapshot. One locking read with joins would return a row
    re-read after its wait but its joined rows as they were (a lead that moved to another
    stage meanwhile: dropped by the stale inner join), and filters on joined rows (a task's
    visibility through its lead) as they were."""
    held = list(
        queryset.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True)
    )
    if not held:
        return []
    return list(queryset.filter(pk__in=held).order_by("pk"))
