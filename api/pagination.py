import re

from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

INTEGER = re.compile(r"-?[0-9]{1,12}")


class StrictLimitOffsetPagination(LimitOffsetPagination):
    """Limit/offset as the spec has it, but a bad value is a 400 naming the parameter rather than
    being quietly clamped."""

    default_limit = 50
    max_limit = 500
    max_offset = 2**31 - 1  # past this no table of ours has rows, and SQL offsets overflow

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
        value = int(raw)
        if not minimum <= value <= maximum:
            raise exceptions.ValidationError({name: f"Must be between {minimum} and {maximum}."})
        return value

    def limits(self, request) -> tuple[int, int]:
        """The request's limit and offset, validated: for a list read without a queryset, which
        then answers with `rows_response`."""
        self.request = request
        self.limit, self.offset = self.get_limit(request), self.get_offset(request)
        return self.limit, self.offset

    def rows_response(self, data, *, total: int):
        self.count = total
        return self.get_paginated_response(data)

    def get_paginated_response(self, data):
        return Response(
            {
                "data": data,
                "pagination": {
                    "limit": self.limit,
                    "offset": self.offset,
                    "total": self.count,
                    "has_more": self.offset + self.limit < self.count,
                },
            }
        )

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
                        "offset": {"type": "integer", "minimum": 0},
                        "total": {"type": "integer", "minimum": 0},
                        "has_more": {"type": "boolean"},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
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
