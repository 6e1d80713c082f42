"""Project-wide middleware: the health check, proxy headers only from trusted proxies, and the
Content-Security-Policy header."""

import functools
import logging

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.http import HttpResponse

from core.http import from_trusted_proxy

logger = logging.getLogger(__name__)
PATH = "/healthz"


class HealthCheckMiddleware:
    """/healthz for load balancers and orchestrators. Answered before anything else looks at the
    request, so it works whatever Host the checker sends (load balancers call by IP, which
    ALLOWED_HOSTS would refuse) and over plain HTTP (no HTTPS redirect)."""

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


class UntrustedProxyHeadersMiddleware:
    """`X-Forwarded-Proto` says a request came over HTTPS only when a trusted proxy says so
    (settings.TRUSTED_PROXIES, as for X-Forwarded-For): from anyone else it is dropped before
    Django reads it (SECURE_PROXY_SSL_HEADER), so a client on plain HTTP cannot skip the
    HTTPS redirect, or the API's refusal, by sending it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_X_FORWARDED_PROTO" in request.META and not from_trusted_proxy(request):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp, with the policy built once. django-csp builds the header anew on every
    response (copying the settings' directives, twice: policy and report-only), about a fifth of
    a bare request's CPU in bench/. Our policy is the same for every response unless a view
    customises it (django-csp's decorators) or a page uses a nonce: only then is it built per
    response, by django-csp itself."""

    CUSTOMISING = ("_csp_config", "_csp_update", "_csp_replace")

    def process_response(self, request, response):
        customised = any(
            getattr(response, name + suffix, None) is not None
            for name in self.CUSTOMISING
            for suffix in ("", "_ro")
        )
        debug_page = settings.DEBUG and response.status_code in (404, 500)
        if customised or debug_page or getattr(request, "_csp_nonce", None) is not None:
            return super().process_response(request, response)
        for header, policy, exempt in zip(
            (HEADER, HEADER_REPORT_ONLY),
            static_policies(),
            ("_csp_exempt", "_csp_exempt_ro"),
            strict=True,
        ):
            if policy and header not in response and not getattr(response, exempt, False):
                response[header] = policy
        return response


@functools.cache
def static_policies() -> tuple[str, str]:
    """The enforced and the report-only policy, as the settings define them."""
    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed)
def _forget_the_policy(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        static_policies.cache_clear()
