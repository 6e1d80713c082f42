import logging

from django.http import HttpResponse
from django.views import defaults

from .api import error_response

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
_HTTP_MESSAGES = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "No such endpoint. The API lives under /api/v1/; see /api/docs/.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "Something went wrong on our end.",
}


class APIErrorMiddleware:
    """Under /api/, no error is ever an HTML page: errors produced outside DRF (unknown routes,
    Django's 400/500 handlers, exceptions in other middleware) become the JSON error envelope.
    It also puts the rate-limit headers the throttle computed on every API response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            response = _envelope_for(response)
        state = getattr(request, "rate_limit", None)
        if state is not None:  # (Retry-After on a 429 comes with the Throttled exception)
            for name, value in state.headers().items():
                response[name] = value
        return response

    def process_exception(self, request, exception):
        if request.path.startswith(API_PREFIX):
            logger.exception("Unhandled error in %s", request.path, exc_info=exception)
            return error_response(500, _HTTP_MESSAGES[500])
        return None


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _envelope_for(response: HttpResponse) -> HttpResponse:
    status_code = response.status_code
    message = _HTTP_MESSAGES.get(status_code, response.reason_phrase or "Error.")
    replacement = error_response(status_code, message)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            replacement[header] = response[header]
    return replacement


def api_not_found(request, *args, **kwargs):
    return error_response(404, _HTTP_MESSAGES[404])


def not_found(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return error_response(500, _HTTP_MESSAGES[500])
    return defaults.server_error(request)
