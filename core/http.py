"""Where a request comes from: the client address behind trusted proxies (pure functions over
`ipaddress`, and one helper that reads a Django request)."""

import ipaddress
from collections.abc import Iterable, Sequence

from django.conf import settings

# Everything under this path is the JSON API; everything else is a page.
API_PREFIX = "/api/"


def is_api_path(path: str) -> bool:
    """Under API_PREFIX, or the prefix without its slash (`POST /api` is an API request too:
    a JSON 404, not a redirect to `/api/`)."""
    return path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/")


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> IPAddress | None:
    """Parse one address; IPv4-mapped IPv6 (`::ffff:10.0.0.1`) becomes plain IPv4."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(
    remote_addr: str, forwarded_for: str, trusted_proxies: Sequence[IPNetwork]
) -> IPAddress | None:
    """The address a request came from.

    The connection's address is the truth unless it belongs to a trusted proxy; only then is
    X-Forwarded-For read, from the right (the end the proxies append to), skipping the proxies
    themselves, so a client cannot pose as another address by sending the header itself.
    Entries that are not addresses are ignored.
    """
    address = parse_address(remote_addr)
    if address is None or not within(address, trusted_proxies):
        return address
    for hop in reversed(forwarded_for.split(",")):
        hop_address = parse_address(hop)
        if hop_address is None:
            continue
        address = hop_address
        if not within(hop_address, trusted_proxies):
            break
    return address


def within(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def request_client_ip(request) -> str | None:
    """The client address of a Django request, as a string, per settings.TRUSTED_PROXIES."""
    cached = getattr(request, "_client_ip", False)
    if cached is not False:
        return cached
    address = client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXIES,
    )
    request._client_ip = str(address) if address is not None else None
    return request._client_ip


def from_trusted_proxy(request) -> bool:
    """The connection comes from one of settings.TRUSTED_PROXIES."""
    address = parse_address(request.META.get("REMOTE_ADDR", ""))
    return address is not None and within(address, settings.TRUSTED_PROXIES)
