"""/healthz for load balancers and orchestrators. Answered before anything else looks at the
request, so it works whatever Host the checker sends (load balancers call by IP, which
ALLOWED_HOSTS would refuse) and over plain HTTP (no HTTPS redirect)."""

import logging

from django.db import connection
from django.http import HttpResponse

logger = logging.getLogger(__name__)
PATH = "/healthz"


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.rstrip("/") != PATH:
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception:
            logger.exception("Health check: the database does not answer")
            return _plain("database unavailable", 503)
        return _plain("ok", 200)


def _plain(text: str, status: int) -> HttpResponse:
    response = HttpResponse(text, content_type="text/plain", status=status)
    response["Cache-Control"] = "no-store"
    return response
