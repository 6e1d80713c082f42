"""The one JSON encoding of what the API shows: orjson, with UUIDs as their text, timestamps in
UTC as ISO 8601 to the second with a `Z` (as the API specification writes them, and as
core.dates.iso_utc does) and decimals as numbers.

A representation (leads.representation) may hold UUIDs and UTC datetimes as they are and leave
their text to this encoding: orjson writes them in C, several times faster than Python can
format them, which counts in a list of fifty leads. What stores a representation as JSON (the
event stream) takes `plain(...)`: the same values as text."""

import datetime as dt
from decimal import Decimal
from typing import Any

import orjson

OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS


def _default(value):
    if isinstance(value, Decimal):
        return float(value)  # a JSON number; 14 significant digits fit a double
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=OPTIONS)


def plain(value: Any) -> Any:
    """`value` as JSON would read it back: UUIDs and datetimes as the text `dumps` writes."""
    return orjson.loads(dumps(value))


def utc(moment: dt.datetime | None) -> dt.datetime | None:
    """An aware datetime in UTC (what `dumps` writes with a Z). The database's timestamps
    already are: then this is one identity check."""
    if moment is None or moment.tzinfo is dt.UTC:
        return moment
    return moment.astimezone(dt.UTC)
