"""The API's one error shape, `{"error": {"code", "message", "field"?}}`, for every error: those
raised in a view (DRF's exception handler) and those produced outside DRF (unknown paths,
Django's 404/500 handlers, the middleware's refusals)."""

import logging
import sys
from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import InvalidFields, ServiceError
from core.http import is_api_path

logger = logging.getLogger(__name__)

ERROR_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "idempotency_key_reused",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "service_unavailable",
}  # any other status (411, 413, 415) is an invalid_request
HTTP_MESSAGES = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "No such endpoint. The API lives under /api/v1/; see /api/docs/.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "Something went wrong on our end.",
    503: "The database is unavailable or busy (a restart, a failover, a deadlock broken): "
    "retry after the number of seconds in Retry-After.",
}
# How long a client should wait before retrying after a 503.
RETRY_AFTER_UNAVAILABLE = 2


def error_body(status_code: int, message: str, field: str | None = None, code: str | None = None):
    error = {"code": code or ERROR_CODES.get(status_code, ERROR_CODES[400]), "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def error_response(status_code: int, message: str, field: str | None = None) -> JsonResponse:
    """The envelope as a plain Django response, for errors raised outside DRF (written as
    compactly as the API's renderer writes it)."""
    return JsonResponse(
        error_body(status_code, message, field),
        status=status_code,
        json_dumps_params={"separators": (",", ":"), "ensure_ascii": False},
    )


def _first_error(detail, path: str = "") -> tuple[str, str]:
    """The first (field path, message) in a DRF ValidationError detail."""
    if isinstance(detail, Mapping):
        key, value = next(iter(detail.items()))
        if key == "non_field_errors":
            return _first_error(value, path)
        name = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key)
        return _first_error(value, name)
    if isinstance(detail, Sequence) and not isinstance(detail, str):
        return _first_error(detail[0], path) if detail else (path, "Invalid value.")
    return path, str(detail)


def client_error(exc: Exception) -> tuple[int, dict] | None:
    """(status, envelope) for an error the client caused: a refused write (ServiceError) or
    invalid input (a DRF ValidationError); None for anything else."""
    if isinstance(exc, ServiceError):
        message = exc.message
        if isinstance(exc, InvalidFields):
            message = f"{exc.field}: {exc.message}"
        return exc.status, error_body(exc.status, message, exc.field, exc.code)
    if isinstance(exc, exceptions.ValidationError):
        path, message = _first_error(exc.detail)
        field = path.split(".")[0].split("[")[0] or None
        message = f"{path}: {message}" if path else message
        return exc.status_code, error_body(exc.status_code, message, field)
    return None


def database_unavailable(exc: Exception) -> bool:
    """Whether `exc` is the database failing for a moment rather than a fault of ours: a
    connection lost (a restart, a failover) or refused, a deadlock or serialization failure
    PostgreSQL broke by failing this transaction, a statement timeout. The request did not
    happen (its transaction rolled back), and the same request can be sent again."""
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable_response() -> JsonResponse:
    """503 `service_unavailable` with Retry-After, for errors raised outside DRF."""
    response = error_response(503, HTTP_MESSAGES[503])
    response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    return response


def exception_handler(exc, context):
    """Turn every exception raised in an API view into the error envelope."""
    set_rollback()
    headers = {}
    if (known := client_error(exc)) is not None:
        return Response(known[1], known[0])
    if database_unavailable(exc):
        logger.warning("Database unavailable in %s: %s", context["request"].path, exc)
        return Response(
            error_body(503, HTTP_MESSAGES[503]),
            503,
            headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        logger.exception("Unhandled error in %s", context["request"].path, exc_info=exc)
        return Response(error_body(500, "Something went wrong on our end."), 500)

    message = str(exc.detail)
    field = getattr(exc, "error_field", None)
    headers.update(getattr(exc, "headers", {}))
    if isinstance(exc, exceptions.Throttled):
        headers["Retry-After"] = str(max(1, int(exc.wait or 1)))
        if type(exc) is exceptions.Throttled:  # the per-key limit; subclasses say their own
            message = "Rate limit exceeded. Retry after the number of seconds in Retry-After."
    if auth_header := getattr(exc, "auth_header", None):  # set by DRF on 401s
        headers["WWW-Authenticate"] = auth_header
    code = getattr(exc, "error_code", None)
    return Response(
        error_body(exc.status_code, message, field, code), exc.status_code, headers=headers
    )


@csrf_exempt  # a mistyped POST must read "no such endpoint", not a CSRF failure
def api_not_found(request, *args, **kwargs):
    return error_response(404, HTTP_MESSAGES[404])


def not_found(request, exception=None):
    """The project's 404 handler: JSON under /api/, the HTML page elsewhere."""
    if is_api_path(request.path):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """The project's 500 handler: JSON under /api/, the HTML page elsewhere; a 503 to retry
    when the error was the database's (one raised in a middleware, a page's view). Django calls
    it while handling the exception, which sys.exception() then is."""
    unavailable = database_unavailable(sys.exception())
    if is_api_path(request.path):
        return unavailable_response() if unavailable else error_response(500, HTTP_MESSAGES[500])
    if unavailable:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
        return response
    return defaults.server_error(request)
