"""Counts kept in the transaction of every write (leads.tally, calls.tally): what changed is a
set of deltas per cell, and the cells are upserted in one statement.

A cell is a row of a tally model: its dimension columns (the cell's key) plus `day` and
`shard`, and one or more measure columns that deltas add to. Each write adds to one of SHARDS
copies of its cells, picked at random, so that simultaneous writes do not all wait on one row
(today's grand total); a read sums the shards.
"""

import contextlib
import random
import threading
from collections import defaultdict

from django.db import connection

SHARDS = 4

_batches = threading.local()


def deltas(measures: int) -> defaultdict:
    """An empty {cell: [delta per measure]} for `add`, each delta starting at 0."""
    return defaultdict(lambda: [0] * measures)


def add(model, dimensions: tuple[str, ...], measures: tuple[str, ...], changes: dict) -> None:
    """Add `changes` ({cell: [delta per measure]}, a cell being the values of `dimensions` in
    order) to `model`'s rows: now, or inside `batch()` when it ends."""
    pending = getattr(_batches, "pending", None)
    if pending is not None and connection.in_atomic_block:
        cells = pending.setdefault((model, dimensions, measures), deltas(len(measures)))
        for cell, delta in changes.items():
            for i, value in enumerate(delta):
                cells[cell][i] += value
        return
    _write(model, dimensions, measures, changes)


@contextlib.contextmanager
def batch():
    """Inside one transaction that writes many rows (a bulk import under an Idempotency-Key):
    their count changes are added up and written once per tally, each in one sorted statement,
    on the way out. Several statements in one transaction could lock shared cells (a day's
    total) in another order than a concurrent transaction's, and deadlock. Outside a
    transaction it does nothing: each save's own transaction writes its own counts."""
    if not connection.in_atomic_block or getattr(_batches, "pending", None) is not None:
        yield
        return
    _batches.pending = {}
    try:
        yield
        pending = _batches.pending
    finally:
        _batches.pending = None
    for (model, dimensions, measures), changes in sorted(
        pending.items(), key=lambda item: item[0][0]._meta.db_table
    ):
        _write(model, dimensions, measures, changes)


def _write(model, dimensions: tuple[str, ...], measures: tuple[str, ...], changes: dict) -> None:
    changed = {cell: delta for cell, delta in changes.items() if any(delta)}
    if not changed:
        return
    shard = random.randrange(SHARDS)  # noqa: S311 (spreading writes, not a secret)
    table = model._meta.db_table
    keys = [model._meta.get_field(name) for name in dimensions]
    counts = [model._meta.get_field(name) for name in measures]
    key_columns = [*(field.column for field in keys), "shard"]
    count_columns = [field.column for field in counts]
    row = f"({', '.join(['%s'] * (len(key_columns) + len(count_columns)))})"
    rows, params = [], []
    # In one order, so that two transactions lock shared cells in the same order.
    for cell, delta in sorted(changed.items(), key=lambda item: tuple(map(str, item[0]))):
        rows.append(row)
        params += [
            field.get_db_prep_save(value, connection)
            for field, value in zip(keys, cell, strict=True)
        ]
        params.append(shard)
        params += [
            field.get_db_prep_save(value, connection)
            for field, value in zip(counts, delta, strict=True)
        ]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in count_columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join([*key_columns, *count_columns])}) "  # noqa: S608
            f"VALUES {', '.join(rows)} ON CONFLICT ({', '.join(key_columns)}) "
            f"DO UPDATE SET {updates}",
            params,
        )
