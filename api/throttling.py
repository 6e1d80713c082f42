"""Per-key rate limiting on django-ratelimit's counters, exposed as a DRF throttle so an
exceeded limit is a 429 (django-ratelimit's own `Ratelimited` would surface as a 403)."""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from apikeys.models import APIKey

logger = logging.getLogger(__name__)
WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset: int  # Unix time at which the window resets
    exceeded: bool

    @property
    def retry_after(self) -> int:
        return max(1, self.reset - int(time.time()))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


def count_request(request, *, group: str, key: str, limit: int) -> RateLimitState | None:
    """Count one request against `key`'s fixed one-minute window; None when the cache is down
    (the API keeps serving, unlimited, and says so in the log)."""
    try:
        usage = get_usage(
            request,
            group=group,
            key=lambda _group, _request: key,
            rate=(limit, WINDOW_SECONDS),
            increment=True,
        )
    except Exception:
        logger.exception("Rate-limit cache unreachable; serving without a limit")
        return None
    if usage is None:  # RATELIMIT_ENABLE is off
        return None
    if usage["limit"] == 0:  # django-ratelimit's answer when the cache did not count
        logger.error("Rate-limit cache did not count the request; serving without a limit")
        return None
    # time_left is -1 when the window ended between django-ratelimit's two clock readings: the
    # request counted in the window that just closed, which resets now.
    now = int(time.time())
    return RateLimitState(
        limit=limit,
        remaining=max(0, limit - usage["count"]),
        reset=now + max(0, usage["time_left"]),
        exceeded=usage["should_limit"],
    )


class PerKeyRateThrottle(BaseThrottle):
    """Each key has its own budget of `rate_limit_per_minute` requests per fixed minute."""

    def allow_request(self, request, view) -> bool:
        api_key = request.auth
        if not isinstance(api_key, APIKey):
            return True
        state = count_request(
            request, group="api-key", key=str(api_key.pk), limit=api_key.rate_limit_per_minute
        )
        # The API middleware copies these onto every response, errors included.
        request._request.rate_limit = state
        self.state = state
        return state is None or not state.exceeded

    def wait(self) -> float | None:
        return self.state.retry_after if self.state else None


def count_auth_failure(request, ip: str | None) -> RateLimitState | None:
    return count_request(
        request,
        group="api-auth-failure",
        key=ip or "unknown",
        limit=settings.API_AUTH_FAILURES_PER_MINUTE,
    )
