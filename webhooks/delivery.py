"""One HTTP attempt of a message: signed as Standard Webhooks defines, sent to the address the
SSRF guard checked (no second DNS lookup), redirects not followed, within the timeout."""

from __future__ import annotations

import datetime as dt
import ipaddress
import time
from collections import OrderedDict
from dataclasses import dataclass

import urllib3
from django.conf import settings
from standardwebhooks.webhooks import Webhook

from core.errors import ServiceError

from .rules import Target, Unresolvable, parse_url, resolve, timeout_seconds

USER_AGENT = "LeadCRM-Webhooks/1.0 (+https://github.com/; Standard Webhooks)"
RESPONSE_KEPT_BYTES = 1024


@dataclass(frozen=True)
class Outcome:
    status: int | None
    error: str
    duration_ms: int
    response: str
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def signed_headers(webhook_id: str, body: str, secrets: list[str], at: dt.datetime) -> dict:
    """The Standard Webhooks headers: one `v1,` signature per secret, space-separated."""
    at = at.astimezone(dt.UTC)
    signatures = " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in secrets)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def send(url: str, body: str, headers: dict) -> Outcome:
    """POST `body` to `url`; never raises for anything the network or the receiver does."""
    started = time.monotonic()

    def outcome(status=None, error="", response="", retry_after=None) -> Outcome:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(status, error[:500], elapsed, response, retry_after)

    try:
        target = parse_url(url)
        addresses = resolve(target)
    except ServiceError as exc:
        return outcome(error=exc.message)
    except Unresolvable as exc:
        return outcome(error=str(exc))
    deadline = started + timeout_seconds()
    last_error = ""
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return outcome(error=f"Timed out after {timeout_seconds():g} s")
        try:
            response = _post(target, address, body, headers, remaining)
        except urllib3.exceptions.NewConnectionError as exc:
            last_error = f"Could not connect to {address}: {_reason(exc)}"
            continue  # the host's next address may answer
        except (urllib3.exceptions.TimeoutError, TimeoutError):
            return outcome(error=f"Timed out after {timeout_seconds():g} s")
        except urllib3.exceptions.HTTPError as exc:
            return outcome(error=f"{type(exc).__name__}: {_reason(exc)}")
        except OSError as exc:
            return outcome(error=f"{type(exc).__name__}: {exc}")
        status, text, retry_after = response
        return outcome(status=status, response=text, retry_after=retry_after)
    return outcome(error=last_error or "No address to connect to")


def _post(target: Target, address: str, body: str, headers: dict, timeout: float):
    host_header = target.host
    if ":" in host_header:  # an IPv6 literal
        host_header = f"[{host_header}]"
    default_port = 443 if target.scheme == "https" else 80
    if target.port != default_port:
        host_header = f"{host_header}:{target.port}"
    pool = _pool(target, address)
    response = pool.urlopen(
        "POST",
        target.path,
        body=body.encode(),
        headers={**headers, "Host": host_header},
        redirect=False,
        preload_content=False,
        assert_same_host=False,
        timeout=urllib3.Timeout(total=timeout),
    )
    try:
        text = response.read(RESPONSE_KEPT_BYTES, decode_content=False)
    finally:
        # A body longer than what is kept is not read: the connection is closed, not reused.
        if response.length_remaining:
            response.close()
        response.release_conn()
    retry_after = _retry_after(response.status, response.headers.get("Retry-After"))
    return response.status, text.decode("utf-8", "replace"), retry_after


# Keep-alive connections, per checked address and host name, for this process (a worker sends
# to the same receivers over and over). The SSRF check runs before every request all the same.
_POOLS: OrderedDict[tuple, urllib3.HTTPConnectionPool] = OrderedDict()
_MAX_POOLS = 64


def _pool(target: Target, address: str) -> urllib3.HTTPConnectionPool:
    key = (target.scheme, address, target.port, target.host)
    pool = _POOLS.get(key)
    if pool is not None:
        _POOLS.move_to_end(key)
        return pool
    options = dict(host=address, port=target.port, retries=False, maxsize=1, block=False)
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            **options,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.WEBHOOK_CA_BUNDLE or None,  # None: the system's trust store
            server_hostname=None if _is_ip(target.host) else target.host,
            assert_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(**options)
    _POOLS[key] = pool
    while len(_POOLS) > _MAX_POOLS:
        _POOLS.popitem(last=False)[1].close()
    return pool


def _retry_after(status: int, value: str | None) -> float | None:
    """Seconds a 429 or 503 asks us to wait (a number or an HTTP date), or None."""
    if status not in (429, 503) or not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    if "Connection refused" in text:
        return "connection refused"
    return text.split(": ", 1)[-1][:300]
