"""OpenAPI building blocks (drf-spectacular) shared by the API views: envelopes, the error
shape, and the headers every authenticated response carries."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    inline_serializer,
)
from rest_framework import serializers

from .errors import ERROR_CODES, HTTP_MESSAGES, RETRY_AFTER_UNAVAILABLE

ERROR_CODE_CHOICES = list(dict.fromkeys(ERROR_CODES.values()))


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ERROR_CODE_CHOICES)
    message = serializers.CharField()
    field = serializers.CharField(required=False, help_text="The parameter at fault, if any.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class DeletedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    deleted = serializers.BooleanField()


def envelope(serializer_class: type[serializers.Serializer], name: str):
    """`{"data": <serializer_class>}` as a named component."""
    return inline_serializer(name=name, fields={"data": serializer_class()})


# Every response to an authenticated request carries these; a 401 does not.
RATE_LIMITED_STATUSES = [200, 201, 202, 400, 403, 404, 405, 409, 413, 415, 429]
RATE_LIMIT_HEADERS = [
    OpenApiParameter(
        name,
        type=int,
        location=OpenApiParameter.HEADER,
        response=RATE_LIMITED_STATUSES,
        description=description,
    )
    for name, description in [
        ("X-RateLimit-Limit", "Requests allowed per minute for this key."),
        ("X-RateLimit-Remaining", "Requests left in the current window."),
        ("X-RateLimit-Reset", "Unix time at which the window resets."),
    ]
]


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERRORS = {
    400: _error("Invalid parameters: `error.field` names the one at fault."),
    401: _error("Missing, invalid or revoked API key."),
    403: _error("The key lacks the needed permission, or the client IP is not allowlisted."),
    404: _error("No such resource, or the key's user cannot see it."),
    405: _error("Method not allowed."),
    409: _error(
        "A conflict: a phone, email or external_id that another (or an invisible) record holds, "
        "a test or resend to a disabled webhook subscription, or a request with the same "
        "Idempotency-Key still running (retry after Retry-After)."
    ),
    413: _error("The request body is too large."),
    415: _error("The body is not JSON."),
    429: _error("Rate limit exceeded; see Retry-After."),
    500: _error("Server error."),
}


def strip_trailing_slashes(result, generator, request, public):
    """The router accepts paths with or without a trailing slash; document them as the
    specification writes them, without."""
    result["paths"] = {path.rstrip("/"): item for path, item in result["paths"].items()}
    return result


# OpenAPI links: which later call takes an id from a response. They tell integrators (and
# schemathesis's stateful phase) how the operations chain: create a lead, log a call on it, read
# or delete either; subscribe a webhook, then read, change, ping, rotate or delete it.
_CREATED_ID = "$response.body#/data/id"
_LEAD_LINKS = {
    "GetLead": {"operationId": "leads_retrieve", "parameters": {"id": _CREATED_ID}},
    "UpdateLead": {"operationId": "leads_partial_update", "parameters": {"id": _CREATED_ID}},
    "ReplaceLead": {"operationId": "leads_update", "parameters": {"id": _CREATED_ID}},
    "TagLead": {"operationId": "leads_tags_create", "parameters": {"id": _CREATED_ID}},
    "DeleteLead": {"operationId": "leads_destroy", "parameters": {"id": _CREATED_ID}},
    "ListCallsOfLead": {"operationId": "call_logs_list", "parameters": {"lead_id": _CREATED_ID}},
    "LogCallOnLead": {
        "operationId": "call_logs_create",
        "requestBody": {"lead_id": _CREATED_ID, "call_type": "Outbound", "duration_seconds": 60},
    },
}
_CALL_LINKS = {
    "GetCallLog": {"operationId": "call_logs_retrieve", "parameters": {"id": _CREATED_ID}},
    "UpdateCallLog": {"operationId": "call_logs_partial_update", "parameters": {"id": _CREATED_ID}},
    "DeleteCallLog": {"operationId": "call_logs_destroy", "parameters": {"id": _CREATED_ID}},
}
_WEBHOOK_LINKS = {
    "GetWebhook": {"operationId": "webhooks_retrieve", "parameters": {"id": _CREATED_ID}},
    "UpdateWebhook": {"operationId": "webhooks_partial_update", "parameters": {"id": _CREATED_ID}},
    "DeleteWebhook": {"operationId": "webhooks_destroy", "parameters": {"id": _CREATED_ID}},
    "PingWebhook": {"operationId": "webhooks_test_create", "parameters": {"id": _CREATED_ID}},
    "RotateWebhookSecret": {
        "operationId": "webhooks_rotate_secret_create",
        "parameters": {"id": _CREATED_ID},
    },
    "ListWebhookDeliveries": {
        "operationId": "webhooks_deliveries_list",
        "parameters": {"id": _CREATED_ID},
    },
}
LINKS = {
    ("/api/v1/leads", "post"): {"201": _LEAD_LINKS, "200": _LEAD_LINKS},
    ("/api/v1/call-logs", "post"): {"201": _CALL_LINKS, "200": _CALL_LINKS},
    ("/api/v1/webhooks", "post"): {"201": _WEBHOOK_LINKS},
}


def add_links(result, generator, request, public):
    for (path, method), by_status in LINKS.items():
        responses = result["paths"][path][method]["responses"]
        for status, links in by_status.items():
            responses[status]["links"] = links
    return result


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: a repeat with the same key (per API key, for 24 hours) and the same "
        "request gets the first response again, with `Idempotent-Replayed: true`, and the write "
        "happens once. The same key with another request is a 422; a repeat while the first "
        "runs, a 409 with `Retry-After: 1`. 1–255 visible ASCII characters; a UUID is ideal."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response of an earlier request with "
        "the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
WRITES = ("post", "put", "patch", "delete")
METHODS = ("get", *WRITES)


def add_unavailable(result, generator, request, public):
    """Any operation can meet a database that is restarting or failing over (api.errors): a
    503 `service_unavailable` with Retry-After; and a URL too long for the HTTP server, a 414.
    Documented once for all of them."""
    unavailable = {
        "description": HTTP_MESSAGES[503],
        "headers": {
            "Retry-After": {
                "description": f"Seconds to wait before retrying ({RETRY_AFTER_UNAVAILABLE}).",
                "schema": {"type": "integer"},
            }
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    # A request line longer than the HTTP server takes (gunicorn: 4,094 bytes, as served here;
    # a proxy in front sets its own) never reaches the app: the server answers, in its words.
    too_long = {
        "description": "The URL is longer than the server takes (4,094 bytes of request line "
        "with gunicorn's defaults): answered by the HTTP server itself, not as JSON."
    }
    for item in result["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                operation["responses"].setdefault("503", unavailable)
                operation["responses"].setdefault("414", too_long)
    return result


def add_idempotency(result, generator, request, public):
    """Every write takes an Idempotency-Key (api.idempotency): document the header, the
    replay's header and the 422."""
    error_ref = {"$ref": "#/components/schemas/Error"}
    for item in result["paths"].values():
        for method, operation in item.items():
            if method not in WRITES:
                continue
            operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            responses = operation["responses"]
            for status, response in responses.items():
                if status.startswith("2"):
                    response.setdefault("headers", {}).update(REPLAYED)
            responses.setdefault(
                "400",
                {
                    "description": "Invalid parameters (a malformed Idempotency-Key too).",
                    "content": {"application/json": {"schema": error_ref}},
                },
            )
            responses.setdefault(
                "422",
                {
                    "description": "The Idempotency-Key was used with a different request.",
                    "content": {"application/json": {"schema": error_ref}},
                },
            )
            responses.setdefault(
                "409",
                {
                    "description": "A request with the same Idempotency-Key is still running.",
                    "content": {"application/json": {"schema": error_ref}},
                },
            )
    return result


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    return {status: ERRORS[status] for status in statuses}


# How API key authentication appears in the document (registered when this module loads,
# which api.apps makes sure of).
class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.APIKeyAuthentication"
    name = ["BearerAuth", "ApiKeyHeader"]

    def get_security_requirement(self, auto_schema):
        return [{"BearerAuth": []}, {"ApiKeyHeader": []}]  # either header works

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "le_live_…",
                "description": "`Authorization: Bearer le_live_…`",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-Key",
                "description": "`X-API-Key: le_live_…`",
            },
        ]
