"""What every request under /api/ goes through before and after its view: HTTPS required (an
error, never a redirect), a chunked body read or refused, and on the way out the JSON error
envelope for errors produced outside DRF, the rate-limit headers, and `Cache-Control: no-store`
(API responses carry lead data)."""

import logging
from io import BytesIO

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse

from core.http import API_PREFIX, is_api_path

from .errors import HTTP_MESSAGES, database_unavailable, error_response, unavailable_response

logger = logging.getLogger(__name__)

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_ROOT = API_PREFIX.rstrip("/")


class APIMiddleware:
    """Runs first for /api/ requests (before SecurityMiddleware's HTTPS redirect): a redirect
    would make clients replay a POST as a GET, so plain HTTP is refused outright."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_path(request.path):
            return self.get_response(request)
        refusal = _refuse_plain_http(request) or _read_chunked_body(request)
        if refusal is None and request.path == API_ROOT:
            # Nothing is at the bare prefix: the API's 404, not the pages' slash redirect.
            refusal = error_response(404, HTTP_MESSAGES[404])
        response = refusal or self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            response = _envelope_for(response)
        state = getattr(request, "rate_limit", None)
        if state is not None:  # (Retry-After on a 429 comes with the Throttled exception)
            for name, value in state.headers().items():
                response[name] = value
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response

    def process_exception(self, request, exception):
        if not is_api_path(request.path):
            return None
        if database_unavailable(exception):
            logger.warning("Database unavailable in %s: %s", request.path, exception)
            return unavailable_response()
        logger.exception("Unhandled error in %s", request.path, exc_info=exception)
        return error_response(500, HTTP_MESSAGES[500])


def _refuse_plain_http(request) -> HttpResponse | None:
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return error_response(
            400, "HTTPS is required: send API requests to https:// (plain HTTP is not redirected)."
        )
    return None


def _read_chunked_body(request) -> HttpResponse | None:
    """A body sent with `Transfer-Encoding: chunked` has no Content-Length, and Django reads
    such a body as empty. Where the server has decoded the chunks and marks the stream as
    ending at the body's end (gunicorn sets `wsgi.input_terminated`), read it, up to the size
    limit; where it cannot (the development server), refuse with 411 rather than see nothing."""
    if request.method not in BODY_METHODS:
        return None
    if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    if not request.META.get("wsgi.input_terminated"):
        return error_response(
            411, "Send the body with a Content-Length header (chunked bodies are not read here)."
        )
    # The largest body any endpoint takes; the JSON parser then holds each to its own limit.
    limit = max(settings.API_MAX_BODY_BYTES, settings.API_MAX_BULK_BODY_BYTES)
    body = request.META["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        return error_response(413, f"The request body is larger than {limit} bytes.")
    request.META["CONTENT_LENGTH"] = str(len(body))
    request._stream = LimitedStream(BytesIO(body), len(body))
    return None


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _envelope_for(response: HttpResponse) -> HttpResponse:
    status_code = response.status_code
    message = HTTP_MESSAGES.get(status_code, response.reason_phrase or "Error.")
    replacement = error_response(status_code, message)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            replacement[header] = response[header]
    return replacement
