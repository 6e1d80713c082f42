"""One HTTP attempt of a message: signed as Standard Webhooks defines, sent to the address the
SSRF guard checked (no second DNS lookup), redirects not followed, within the timeout."""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from http.client import HTTPException, RemoteDisconnected

import urllib3
from django.conf import settings
from standardwebhooks.webhooks import Webhook
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util.ssl_match_hostname import CertificateError

from core.errors import ServiceError

from .rules import Target, Unresolvable, is_ip_literal, parse_url, resolve, timeout_seconds

USER_AGENT = "LeadCRM-Webhooks/1.0 (Standard Webhooks)"
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
    """POST `body` to `url`; never raises for anything the network or the receiver does. The
    whole attempt (DNS, connecting, sending, the answer) has WEBHOOK_TIMEOUT_SECONDS: past it
    the connection is cut, however the receiver drips its answer."""
    started = time.monotonic()
    deadline = started + timeout_seconds()

    def outcome(status=None, error="", response="", retry_after=None) -> Outcome:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(status, storable(error)[:500], elapsed, storable(response), retry_after)

    try:
        target = parse_url(url)
        addresses = resolve(target, timeout=timeout_seconds())
    except ServiceError as exc:
        return outcome(error=exc.message)
    except Unresolvable as exc:
        return outcome(error=str(exc))
    timed_out = f"Timed out after {timeout_seconds():g} s"
    last_error = ""
    for address in addresses:
        if time.monotonic() >= deadline:
            return outcome(error=timed_out)
        try:
            status, text, retry_after = _post(target, address, body, headers, deadline)
        except _Refused as exc:
            last_error = f"Could not connect to {address}: {exc}"
            continue  # the host's next address may answer
        except _TimedOut:
            return outcome(error=timed_out)
        except (OSError, HTTPException, urllib3.exceptions.HTTPError, CertificateError) as exc:
            return outcome(error=f"{type(exc).__name__}: {_reason(exc)}")
        return outcome(status=status, response=text, retry_after=retry_after)
    return outcome(error=last_error or "No address to connect to")


def storable(text: str) -> str:
    """Text a database column can hold (PostgreSQL refuses NUL characters)."""
    return text.replace("\x00", "\ufffd")


class _Refused(Exception):
    pass


class _TimedOut(Exception):
    pass


# A stale keep-alive connection (closed by the receiver while idle) fails like this at once.
_STALE = (ConnectionResetError, BrokenPipeError, RemoteDisconnected,
          urllib3.exceptions.ProtocolError)  # fmt: skip


def _post(target: Target, address: str, body: str, headers: dict, deadline: float):
    host_header = target.host
    if ":" in host_header:  # an IPv6 literal
        host_header = f"[{host_header}]"
    default_port = 443 if target.scheme == "https" else 80
    if target.port != default_port:
        host_header = f"{host_header}:{target.port}"
    headers = {**headers, "Host": host_header}
    key = (target.scheme, address, target.port, target.host)
    connection = _IDLE.pop(key, None)
    reused = connection is not None
    if connection is None:
        connection = _connect(target, address, deadline)
    watchdog = _Watchdog(connection, deadline)
    try:
        try:
            response = _exchange(connection, target, body, headers)
        except _STALE:
            if not reused or watchdog.fired:
                raise
            connection.close()  # the receiver closed it while idle: once more, on a new one
            connection = _connect(target, address, deadline)
            watchdog.cancel()
            watchdog = _Watchdog(connection, deadline)
            response = _exchange(connection, target, body, headers)
        text = response.read(RESPONSE_KEPT_BYTES, decode_content=False)
        # The rest is read (up to a limit) so the connection can carry the next message.
        complete = len(response.read(64 * 1024, decode_content=False)) < 64 * 1024
        status, retry_after_header = response.status, response.headers.get("Retry-After")
        keep = (
            complete
            and connection.sock is not None
            and response.version >= 11
            and response.headers.get("Connection", "").lower() != "close"
        )
    except OSError as exc:
        connection.close()
        # The socket's own timeout (the time left to the deadline) can run out just before
        # the watchdog's turn comes on a busy machine: a timeout either way.
        if watchdog.fired or isinstance(exc, TimeoutError):
            raise _TimedOut from exc
        raise
    except Exception:
        connection.close()
        if watchdog.fired:
            raise _TimedOut from None
        raise
    finally:
        watchdog.cancel()
    if keep and not watchdog.fired:
        _keep(key, connection)
    else:
        connection.close()
    retry_after = _retry_after(status, retry_after_header)
    return status, text.decode("utf-8", "replace"), retry_after


def _exchange(connection, target: Target, body: str, headers: dict):
    connection.request("POST", target.path, body=body.encode(), headers=headers,
                       preload_content=False)  # fmt: skip
    return connection.getresponse()


def _connect(target: Target, address: str, deadline: float):
    remaining = max(0.001, deadline - time.monotonic())
    options = dict(host=address, port=target.port, timeout=remaining)
    if target.scheme == "https":
        connection = HTTPSConnection(
            **options,
            cert_reqs="CERT_REQUIRED",
            ca_certs=settings.WEBHOOK_CA_BUNDLE or None,  # None: the system's trust store
            server_hostname=None if is_ip_literal(target.host) else target.host,
            assert_hostname=target.host,
        )
    else:
        connection = HTTPConnection(**options)
    try:
        connection.connect()
    except (ConnectionRefusedError, urllib3.exceptions.NewConnectionError) as exc:
        connection.close()
        raise _Refused(_reason(exc)) from exc
    except (TimeoutError, urllib3.exceptions.ConnectTimeoutError) as exc:
        connection.close()
        raise _TimedOut from exc
    return connection


class _Watchdog:
    """Cuts the connection when the attempt's deadline passes (a socket timeout alone bounds
    each read, not the whole answer)."""

    def __init__(self, connection, deadline: float):
        self.fired = False
        self.connection = connection
        self.timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self.timer.daemon = True
        self.timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = getattr(self.connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self.timer.cancel()


# Idle keep-alive connections, per checked address and host name, for this process (a worker
# sends to the same receivers over and over). The SSRF check runs before every request.
_IDLE: OrderedDict[tuple, HTTPConnection] = OrderedDict()
_MAX_IDLE = 64


def _keep(key: tuple, connection) -> None:
    _IDLE[key] = connection
    while len(_IDLE) > _MAX_IDLE:
        _IDLE.popitem(last=False)[1].close()


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


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    if "Connection refused" in text:
        return "connection refused"
    return text.split(": ", 1)[-1][:300]
