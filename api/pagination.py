import binascii
import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping, Sequence

from django.core import signing
from django.db import models
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from core.listing import keyset_condition

INTEGER = re.compile(r"-?[0-9]+")
DIGITS_READ = 12  # more than any bound has: a longer integer is out of range, not read
# A cursor of the longest name (200 four-byte characters) is about 1,150 characters; the limit
# leaves room for it and keeps a request line under what servers accept (gunicorn: 4,094).
CURSOR_MAX_LENGTH = 1300
# URL-safe base64 of the JSON, a dot, and its signature (django.core.signing), without padding.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
CURSOR_SALT = "api.pagination.cursor"
CURSOR_INVALID = "Not a cursor of this list: pass `pagination.next_cursor` as it came."
CURSOR_EDITED = (
    "Not a cursor this API made, or one that was changed: pass `pagination.next_cursor` as it came."
)


class StrictLimitOffsetPagination(LimitOffsetPagination):
    """Limit/offset as the spec has it, but a bad value is a 400 naming the parameter rather than
    being quietly clamped.

    A view with `cursor_paging = True` also pages by keyset: its responses carry
    `pagination.next_cursor` (an opaque string naming the sort and the page's last row, null
    when no row follows), and `cursor=<that>` answers the `limit` rows after that row in the
    same sort, at any depth, with `offset` null. Its ordering (a FilterSet's `ordering()`) must
    run in one direction and end with a unique column (core.listing.keyset_condition)."""

    default_limit = 50
    max_limit = 500
    max_offset = 2**31 - 1  # past this no table of ours has rows, and SQL offsets overflow
    cursor_query_param = "cursor"
    keyset: tuple[type[models.Model], tuple[str, ...]] | None = None  # (model, ordering)
    next_cursor: str | None = None

    def get_limit(self, request) -> int:
        return self._integer(request, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request) -> int:
        return self._integer(request, self.offset_query_param, 0, 0, self.max_offset)

    @staticmethod
    def _integer(request, name: str, default: int, minimum: int, maximum: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        # Plain ASCII digits only: int() would also take " 5", "5_0" and non-Latin digits.
        if not INTEGER.fullmatch(raw):
            raise exceptions.ValidationError({name: "Must be an integer."})
        negative, digits = raw.startswith("-"), raw.lstrip("-").lstrip("0") or "0"
        if len(digits) > DIGITS_READ:
            value = minimum - 1 if negative else maximum + 1
        else:
            value = -int(digits) if negative else int(digits)
        if not minimum <= value <= maximum:
            raise exceptions.ValidationError({name: f"Must be between {minimum} and {maximum}."})
        return value

    def position(self, request, model: type[models.Model], ordering: Sequence[str]):
        """For a view paging by cursor: the request's limit, its offset (None with a cursor)
        and the cursor's row values (None without), validated; then `rows_response`."""
        self.request = request
        self.keyset = (model, tuple(ordering))
        self.limit = self.get_limit(request)
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            self.offset = self.get_offset(request)
            return self.limit, self.offset, None
        if raw == "":
            raise exceptions.ValidationError(
                {self.cursor_query_param: "Must not be empty; leave the parameter out instead."}
            )
        if self.offset_query_param in request.query_params:
            raise exceptions.ValidationError(
                {self.cursor_query_param: "Give cursor or offset, not both."}
            )
        self.offset = None
        return self.limit, None, decode_cursor(raw, model, self.keyset[1])

    def rows_response(self, data, *, total: int, next_row=None):
        """`next_row`: with cursor paging, the page's last row (a dict by attname or a model
        instance) when another row follows it, else None."""
        self.count = total
        self._set_next(next_row)
        return self.get_paginated_response(data)

    def paginate_queryset(self, queryset, request, view=None):
        # A view may know its total without counting the rows (`list_total(queryset)`).
        self.total_of = getattr(view, "list_total", None)
        if not getattr(view, "cursor_paging", False):
            self.keyset = None
            return super().paginate_queryset(queryset, request, view)
        model = queryset.model
        ordering = queryset.query.order_by or model._meta.ordering
        limit, offset, after = self.position(request, model, ordering)
        self.count = self.get_count(queryset)
        if after is not None:
            condition, params = keyset_condition(model, ordering, model._meta.db_table, after)
            queryset = queryset.extra(where=[condition], params=params)  # noqa: S610 (bound)
        elif offset >= self.count:
            self._set_next(None)
            return []
        else:
            queryset = queryset[offset:]
        rows = list(queryset[: limit + 1])
        self._set_next(rows[limit - 1] if len(rows) > limit else None)
        return rows[:limit]

    def get_count(self, queryset) -> int:
        total_of = getattr(self, "total_of", None)
        return total_of(queryset) if total_of is not None else super().get_count(queryset)

    def _set_next(self, row) -> None:
        if self.keyset is None or row is None:
            self.next_cursor = None
            return
        _, ordering = self.keyset
        names = [name.lstrip("-") for name in ordering]
        if isinstance(row, Mapping):
            values = [row[name] for name in names]
        else:
            values = [getattr(row, name) for name in names]
        self.next_cursor = encode_cursor(ordering, values)

    def get_paginated_response(self, data):
        if self.offset is None:  # paging by cursor
            has_more = self.next_cursor is not None
        else:
            has_more = self.offset + self.limit < self.count
        pagination = {
            "limit": self.limit,
            "offset": self.offset,
            "total": self.count,
            "has_more": has_more,
        }
        if self.keyset is not None:
            pagination["next_cursor"] = self.next_cursor
        return Response({"data": data, "pagination": pagination})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "required": ["limit", "offset", "total", "has_more"],
                    "properties": {
                        "limit": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
                        "offset": {
                            "type": ["integer", "null"],
                            "minimum": 0,
                            "description": "null when the page was asked for by `cursor`.",
                        },
                        "total": {"type": "integer", "minimum": 0},
                        "has_more": {"type": "boolean"},
                        "next_cursor": {
                            "type": ["string", "null"],
                            "description": "On lists that page by cursor: pass it as `cursor` "
                            "for the rows after this page, in the same sort (null when none "
                            "follow). Opaque: do not build or edit one.",
                        },
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        parameters = [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "Number of results to return (1–500).",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_limit,
                    "default": 50,
                },
            },
            {
                "name": "offset",
                "in": "query",
                "required": False,
                "description": "Pagination offset. Increment by limit to fetch the next page.",
                "schema": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": self.max_offset,
                    "default": 0,
                },
            },
        ]
        if getattr(view, "cursor_paging", False):
            parameters.append(
                {
                    "name": self.cursor_query_param,
                    "in": "query",
                    "required": False,
                    "description": "Instead of `offset`, for reading at any depth (sync, "
                    "export): a `pagination.next_cursor` from the previous page. Pages by the "
                    "same `sort` and filters as that page; with `offset`, or with another "
                    "`sort`, it is a 400.",
                    "schema": {
                        "type": "string",
                        "maxLength": CURSOR_MAX_LENGTH,
                        "pattern": CURSOR_PATTERN,
                    },
                }
            )
        return parameters


def encode_cursor(ordering: Sequence[str], values: Sequence) -> str:
    """[sort, value per column of the ordering], signed."""
    return sign_cursor([ordering[0], *(_dump(value) for value in values)])


class _CursorJSON:
    """django.core.signing's serializer for a cursor: compact JSON in UTF-8 (a name's sort key
    may hold any letters, which JSON's ASCII escapes would make six characters each)."""

    def dumps(self, obj) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()

    def loads(self, data: bytes):
        return json.loads(data.decode())


def _signer() -> signing.Signer:
    return signing.Signer(salt=CURSOR_SALT, sep=".")


def sign_cursor(payload: list) -> str:
    """`payload` as URL-safe base64 JSON, a dot and its HMAC (SECRET_KEY): a client cannot
    edit a cursor into a position of its choosing, it can only send back what it was given."""
    return _signer().sign_object(payload, serializer=_CursorJSON)


def decode_cursor(raw: str, model: type[models.Model], ordering: Sequence[str]) -> list:
    """The row values `raw` holds for `ordering`; anything else (another sort, a value of the
    wrong type, not base64 or JSON at all) is a 400 naming `cursor`."""
    invalid = exceptions.ValidationError({"cursor": CURSOR_INVALID})
    if not raw or len(raw) > CURSOR_MAX_LENGTH or not raw.isascii():
        raise invalid
    try:
        payload = _signer().unsign_object(raw, serializer=_CursorJSON)
    except signing.BadSignature:
        raise exceptions.ValidationError({"cursor": CURSOR_EDITED}) from None
    except (binascii.Error, ValueError):  # (UnicodeDecodeError and JSONDecodeError included)
        raise invalid from None
    if not isinstance(payload, list) or len(payload) != len(ordering) + 1:
        raise invalid
    sort, *values = payload
    if sort != ordering[0]:
        raise exceptions.ValidationError(
            {
                "cursor": "This cursor is of another list or sort: page with the list and sort "
                "it was made with."
            }
        )
    fields = [model._meta.get_field(name.lstrip("-")) for name in ordering]
    try:
        return [_load(field, value) for field, value in zip(fields, values, strict=True)]
    except (TypeError, ValueError, OverflowError):
        raise invalid from None


def _dump(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _load(field: models.Field, value):
    if isinstance(field, models.DateTimeField):
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
        if moment is None or moment.tzinfo is None:
            raise ValueError(value)
        return moment.astimezone(dt.UTC)
    if isinstance(field, models.UUIDField):
        if not isinstance(value, str):
            raise TypeError(value)
        return uuid.UUID(value)
    if isinstance(field, models.CharField):
        if not isinstance(value, str) or "\x00" in value or len(value) > (field.max_length or 0):
            raise ValueError(value)
        value.encode()  # a lone surrogate cannot go to the database: UnicodeEncodeError, a 400
        return value
    raise TypeError(f"{field.name}: not a cursor column")
