"""Counts kept in the transaction of every write (leads.tally, calls.tally): what changed is a
set of deltas per cell, and the cells are upserted in one statement.

A cell is a row of a tally model: its dimension columns (the cell's key) plus `day` and
`shard`, and one or more measure columns that deltas add to. Each write adds to one of SHARDS
copies of its cells, picked at random, so that simultaneous writes do not all wait on one row
(today's grand total); a read sums the shards.

ORDER: a transaction that writes several tallies writes them in the order of their table names
(calls_calltally before leads_leadtally), and each tally's cells in one sorted statement. Two
transactions then take the locks of the cells they share (a day's totals) in the same order and
wait for each other instead of deadlocking. `batch()` flushes in that order; a lead's save and
delete move its calls' counts before its own.
"""

import contextlib
import functools
import random
import sqlite3
import threading
from collections import defaultdict

import orjson
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
    for (model, dimensions, measures), changes in sorted(pending.items(), key=_table_order):
        _write(model, dimensions, measures, changes)


def _table_order(item) -> str:
    """ORDER: a batch's tallies by table name."""
    (model, _dimensions, _measures), _changes = item
    return model._meta.db_table


def replace_all(model, dimensions: tuple[str, ...], measures: tuple[str, ...], count) -> int:
    """Replace every cell of `model` with `count()` ({cell: [value per measure]}), counted
    after the table is locked: no write may add to a cell between the delete and the count
    (it would count twice). Returns how many cells were written (a rebuild, a migration)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        connection.cursor().execute(f"LOCK TABLE {model._meta.db_table} IN EXCLUSIVE MODE")
    model.objects.all().delete()
    rows = (
        model(**dict(zip(dimensions, cell, strict=True)),
              **dict(zip(measures, values, strict=True)), shard=0)
        for cell, values in count().items()
    )  # fmt: skip
    return len(model.objects.bulk_create(rows, batch_size=5000))


def _write(model, dimensions: tuple[str, ...], measures: tuple[str, ...], changes: dict) -> None:
    changed = {cell: delta for cell, delta in changes.items() if any(delta)}
    if not changed:
        return
    shard = random.randrange(SHARDS)  # noqa: S311 (spreading writes, not a secret)
    # In one order, so that two transactions lock shared cells in the same order.
    rows = [
        (*cell, *delta)
        for cell, delta in sorted(changed.items(), key=lambda item: tuple(map(str, item[0])))
    ]
    if connection.vendor == "postgresql":
        statement, _ = _statement(model, dimensions, measures, None)
        params = [shard, orjson.dumps(rows, default=str).decode()]
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
        return
    # SQLite binds a limited number of parameters a statement (32,766 by default, more in
    # some builds): a bulk edit of thousands of leads over many days changes more cells than
    # one VALUES list can hold. The chunks go in the same sorted order.
    width = len(dimensions) + len(measures) + 1
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = limit // width
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            statement, fields = _statement(model, dimensions, measures, len(chunk))
            params = []
            for values in chunk:
                params += [
                    field.get_db_prep_save(value, connection)
                    for field, value in zip(fields, values, strict=True)
                ]
                params.append(shard)
            cursor.execute(statement, params)


@functools.cache
def _statement(model, dimensions: tuple[str, ...], measures: tuple[str, ...], rows: int | None):
    """The upsert of `rows` cells into `model`, and its fields in the order of its values. On
    PostgreSQL the cells travel as one JSON array (rows of values, cast per column): the same
    text whatever the number of cells, parsed once by psycopg, and two parameters (a VALUES
    list cost 0.55 ms of the client's CPU for 14 cells, this 0.22 ms)."""
    fields = [model._meta.get_field(name) for name in (*dimensions, *measures)]
    table = model._meta.db_table
    columns = [field.column for field in fields]
    key = ", ".join([*columns[: len(dimensions)], "shard"])
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns[len(dimensions) :])
    if connection.vendor == "postgresql":
        values = ", ".join(
            f"(c->>{i})::{field.db_type(connection)}" for i, field in enumerate(fields)
        )
        source = f"SELECT {values}, %s::smallint FROM jsonb_array_elements(%s::jsonb) AS c"  # noqa: S608
    else:
        row = f"({', '.join(['%s'] * len(fields))}, %s)"
        source = f"VALUES {', '.join([row] * rows)}"
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}, shard) {source} "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )
    return statement, fields
