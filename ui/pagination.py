"""Keyset ("cursor") pagination for the list pages.

OFFSET makes the database walk past every skipped row, so the last page of 100,000 leads costs
as much as reading them all. A cursor holding the sort key of the last row shown turns every
page into one index range scan, however deep. The price is no "page 17 of 40": a page links
only to the pages before and after it, and the total is counted up to a cap.
"""

import base64
import binascii
import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

COUNT_CAP = 10_000


@dataclass(frozen=True)
class SortKey:
    """One column of an ordering. Keys must be non-null and end in a unique column (the pk)."""

    field: str
    descending: bool = False

    def order_by(self, reverse: bool = False) -> str:
        return f"-{self.field}" if self.descending != reverse else self.field


@dataclass(frozen=True)
class Page:
    items: list
    after: str | None  # cursor for the next page, None on the last page
    before: str | None  # cursor for the previous page, None on the first page


def paginate(
    queryset: QuerySet, keys: Sequence[SortKey], *, after: str = "", before: str = "", size: int
) -> Page:
    """One page of `queryset` ordered by `keys`: the rows after the `after` cursor, or the rows
    just before the `before` cursor, or the first page. A cursor that does not decode (edited
    by hand, or from another sort) also gives the first page."""
    if before and (values := _decode(queryset.model, keys, before)) is not None:
        rows = list(
            queryset.filter(_beyond(keys, values, backwards=True)).order_by(
                *(key.order_by(reverse=True) for key in keys)
            )[: size + 1]
        )
        if rows:
            more_before = len(rows) > size
            rows = rows[:size][::-1]
            return Page(
                rows, _encode(keys, rows[-1]), _encode(keys, rows[0]) if more_before else None
            )
    values = _decode(queryset.model, keys, after) if after else None
    if values is not None:
        queryset = queryset.filter(_beyond(keys, values, backwards=False))
    rows = list(queryset.order_by(*(key.order_by() for key in keys))[: size + 1])
    more_after = len(rows) > size
    rows = rows[:size]
    return Page(
        rows,
        _encode(keys, rows[-1]) if more_after else None,
        _encode(keys, rows[0]) if values is not None and rows else None,
    )


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, capped): counting stops at `cap` so a broad filter over a big table stays cheap."""
    count = queryset.order_by()[: cap + 1].count()
    return min(count, cap), count > cap


def _beyond(keys: Sequence[SortKey], values: Sequence[Any], *, backwards: bool) -> Q:
    """Rows strictly after (or before) the row whose sort key is `values`:
    k1 > v1 OR (k1 = v1 AND k2 > v2) OR … with > turned into < for descending keys."""
    alternatives = []
    for index, key in enumerate(keys):
        lookup = "lt" if key.descending != backwards else "gt"
        condition = Q(**{f"{key.field}__{lookup}": values[index]})
        for earlier, value in zip(keys[:index], values[:index], strict=True):
            condition &= Q(**{earlier.field: value})
        alternatives.append(condition)
    return reduce(operator.or_, alternatives)


def _encode(keys: Sequence[SortKey], row: Model) -> str:
    values = []
    for key in keys:
        value = getattr(row, key.field)
        values.append(value.isoformat() if hasattr(value, "isoformat") else str(value))
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(model: type[Model], keys: Sequence[SortKey], cursor: str) -> list[Any] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(keys):
            return None
        return [
            model._meta.get_field(key.field).to_python(value)
            for key, value in zip(keys, values, strict=True)
        ]
    except (binascii.Error, ValueError, TypeError, ValidationError):
        return None
