"""The rules of a webhook subscription, in one place: which events exist, which URLs may be
called (the SSRF guard), what a secret looks like, and when a failed delivery is tried again."""

from __future__ import annotations

import base64
import concurrent.futures
import contextlib
import ipaddress
import random
import secrets
import socket
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.db import models

from core.errors import ServiceError
from events.models import Verb

URL_MAX_LENGTH = 2000
DESCRIPTION_MAX_LENGTH = 500
MAX_SUBSCRIPTIONS_PER_USER = 50
# A rotated secret keeps signing beside the new one this long, so receivers can switch over.
ROTATION_OVERLAP_HOURS = 24
# No success for this long, while at least one message has failed every attempt: disabled.
AUTO_DISABLE_HOURS = 24
ALL_EVENTS = "*"


class EventType(models.TextChoices):
    """What a subscription can ask for. `ping` is sent only by POST …/test."""

    LEAD_CREATED = "lead.created"
    LEAD_UPDATED = "lead.updated"
    LEAD_DELETED = "lead.deleted"
    CALL_LOG_CREATED = "call_log.created"
    CALL_LOG_UPDATED = "call_log.updated"
    CALL_LOG_DELETED = "call_log.deleted"
    TASK_CREATED = "task.created"
    TASK_UPDATED = "task.updated"
    TASK_DELETED = "task.deleted"


PING = "ping"

# The event stream's verbs and the webhook event each becomes (a merge is an update; notes and
# API-key or webhook changes are not sent).
EVENT_TYPE_OF_VERB = {
    Verb.LEAD_CREATED: EventType.LEAD_CREATED,
    Verb.LEAD_MERGED: EventType.LEAD_UPDATED,
    Verb.LEAD_UPDATED: EventType.LEAD_UPDATED,
    Verb.LEAD_DELETED: EventType.LEAD_DELETED,
    Verb.CALL_LOG_CREATED: EventType.CALL_LOG_CREATED,
    Verb.CALL_LOG_UPDATED: EventType.CALL_LOG_UPDATED,
    Verb.CALL_LOG_DELETED: EventType.CALL_LOG_DELETED,
    Verb.TASK_CREATED: EventType.TASK_CREATED,
    Verb.TASK_UPDATED: EventType.TASK_UPDATED,
    Verb.TASK_DELETED: EventType.TASK_DELETED,
}


def clean_events(value) -> list[str]:
    """A non-empty list of event names without repeats, or ["*"] alone."""
    if not isinstance(value, list) or not value:
        raise ServiceError('Give a non-empty list of event names, or ["*"] for all.', "events")
    if not all(isinstance(name, str) for name in value):
        raise ServiceError("Event names are strings.", "events")
    if ALL_EVENTS in value:
        if len(value) > 1:
            raise ServiceError('"*" stands for every event: send it alone.', "events")
        return [ALL_EVENTS]
    unknown = [name for name in value if name not in EventType.values]
    if unknown:
        known = ", ".join(EventType.values)
        raise ServiceError(f"Unknown event “{unknown[0][:50]}”; known: {known}, or *.", "events")
    return list(dict.fromkeys(value))


def clean_description(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ServiceError("The description is text.", "description")
    value = value.strip()
    if len(value) > DESCRIPTION_MAX_LENGTH or "\x00" in value:
        raise ServiceError(
            f"At most {DESCRIPTION_MAX_LENGTH} characters, without NUL characters.", "description"
        )
    return value


@dataclass(frozen=True)
class Target:
    """Where a URL points: what to connect to and what to say the host is."""

    scheme: str
    host: str  # as written (lowercased), for the Host header and TLS
    port: int
    path: str  # path and query, as sent in the request line


def parse_url(url) -> Target:
    """An absolute http(s) URL without credentials or fragments; raises ServiceError(url)."""
    if not isinstance(url, str) or not url.strip():
        raise ServiceError("Give the receiver's URL (https://…).", "url")
    url = url.strip()
    if len(url) > URL_MAX_LENGTH:
        raise ServiceError(f"At most {URL_MAX_LENGTH} characters.", "url")
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url) or not url.isascii():
        raise ServiceError(
            "The URL has spaces, control or non-ASCII characters: percent-encode them.", "url"
        )
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise ServiceError("This is not a valid URL.", "url") from None
    if parts.scheme not in ("https", "http"):
        raise ServiceError("The URL must start with https:// (or http://).", "url")
    if not parts.hostname:
        raise ServiceError("The URL has no host.", "url")
    if parts.username is not None or parts.password is not None:
        raise ServiceError("Credentials in the URL are not allowed: sign, don't embed.", "url")
    if parts.fragment:
        raise ServiceError("A URL sent to a server has no #fragment.", "url")
    if any(char in url for char in '\\<>"{}|^`'):
        raise ServiceError("The URL has characters that must be percent-encoded.", "url")
    if port == 0:
        raise ServiceError("Port 0 is not a port a receiver listens on.", "url")
    host = parts.hostname.lower()
    if not _valid_host(host):
        raise ServiceError("The URL's host is not a valid name or address.", "url")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def _valid_host(host: str) -> bool:
    if is_ip_literal(host):
        return True
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    labels = host.rstrip(".").split(".")
    return all(
        0 < len(label) <= 63 and all(char.isalnum() or char in "-_" for char in label)
        for label in labels
    )


def refusal(address: str) -> str | None:
    """Why this address must not be called (the SSRF guard), e.g. "127.0.0.1, a loopback
    address", or None. IPv4-mapped, 6to4 and IPv4-compatible IPv6 addresses are judged as the
    IPv4 address they carry."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        carried = ip.ipv4_mapped or ip.sixtofour
        if carried is None and ip.packed[:12] == bytes(12) and int(ip) > 1:
            carried = ipaddress.IPv4Address(ip.packed[12:])  # deprecated ::a.b.c.d
        ip = carried or ip
    for kind, flag in (
        ("loopback", ip.is_loopback),
        ("site-local", getattr(ip, "is_site_local", False)),
        ("relay or documentation", any(ip in network for network in _ALSO_REFUSED)),
        ("private", ip.is_private),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("non-public", not ip.is_global),
    ):
        if flag:
            return f"{ip}, a {kind} address"
    return None


# Ranges Python's flags do not all catch on every version: the 6to4 relay anycast and the IPv6
# documentation range added in 2024.
_ALSO_REFUSED = [ipaddress.ip_network("192.88.99.0/24"), ipaddress.ip_network("3fff::/20")]


def private_urls_allowed() -> bool:
    return settings.WEBHOOK_ALLOW_PRIVATE_URLS


class Unresolvable(Exception):
    pass


# getaddrinfo cannot be interrupted: lookups run in these threads, and a caller waits for one
# at most DNS_TIMEOUT_SECONDS (a resolver that never answers must not hold a request or worker).
_RESOLVERS = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="dns")
DNS_TIMEOUT_SECONDS = 5.0


def resolve(target: Target, timeout: float = DNS_TIMEOUT_SECONDS) -> list[str]:
    """The addresses the target's host stands for, all of them checked by the SSRF guard:
    raises ServiceError(url) when any is refused, Unresolvable when there are none (or the
    lookup takes longer than `timeout`)."""
    if is_ip_literal(target.host) and not private_urls_allowed():
        # An address is judged as written, before any lookup: one with a zone the lookup
        # does not know (`[::1%25lo]`) would otherwise pass as a name that does not resolve.
        _refuse(target, target.host)
    lookup = _RESOLVERS.submit(
        socket.getaddrinfo, target.host, target.port, type=socket.SOCK_STREAM
    )
    try:
        infos = lookup.result(timeout=min(timeout, DNS_TIMEOUT_SECONDS))
    except concurrent.futures.TimeoutError:
        raise Unresolvable(f"{target.host}: DNS did not answer in time") from None
    except (OSError, UnicodeError) as exc:
        raise Unresolvable(f"{target.host} does not resolve ({exc})") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Unresolvable(f"{target.host} does not resolve")
    if not private_urls_allowed():
        for address in addresses:
            _refuse(target, address)
    return addresses


def _refuse(target: Target, address: str) -> None:
    reason = refusal(address)
    if reason:
        where = reason if is_ip_literal(target.host) else f"{target.host} → {reason}"
        raise ServiceError(f"Refused: {where}. Webhooks go to public addresses only.", "url")


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def clean_url(url) -> str:
    """The URL as stored: parsed, and refused now if its host resolves to an address the
    guard refuses. A host that does not resolve yet is accepted (every delivery checks)."""
    target = parse_url(url)
    with contextlib.suppress(Unresolvable):
        resolve(target)
    return url.strip()


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes, as Standard Webhooks defines a secret."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def retry_schedule() -> list[float]:
    return settings.WEBHOOK_RETRY_SCHEDULE


def next_delay(attempts_made: int, retry_after: float | None = None) -> float | None:
    """Seconds until the next attempt after `attempts_made` failed ones (None: no more), with
    ±20 % jitter so that a receiver coming back is not hit by every retry at once. A
    `Retry-After` (429/503) is honoured, capped at twice the scheduled step."""
    schedule = retry_schedule()
    if attempts_made >= len(schedule):
        return None
    step = schedule[attempts_made]
    delay = step * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not a secret)
    if retry_after is not None:
        delay = max(delay, min(retry_after, step * 2))
    return delay


def timeout_seconds() -> float:
    return settings.WEBHOOK_TIMEOUT_SECONDS
