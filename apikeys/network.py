"""Client addresses and IP allowlists: pure functions over `ipaddress`."""

import ipaddress
from collections.abc import Iterable, Sequence

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
    if address is None or not _within(address, trusted_proxies):
        return address
    for hop in reversed(forwarded_for.split(",")):
        hop_address = parse_address(hop)
        if hop_address is None:
            continue
        address = hop_address
        if not _within(hop_address, trusted_proxies):
            break
    return address


def parse_allowlist(entries: Iterable[str]) -> list[str]:
    """Validate and normalize allowlist entries (addresses or CIDR ranges).

    Returns canonical strings (`10.0.0.0/8`, `2001:db8::/32`, `203.0.113.7/32`); raises ValueError
    naming the first bad entry. Host bits set in a range (`10.0.0.1/8`) are an error: they
    usually mean a typo.
    """
    networks: list[str] = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            raise ValueError(f"“{text}” is not an IP address or CIDR range ({exc}).") from exc
        if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped:
            mapped = network.network_address.ipv4_mapped
            network = ipaddress.ip_network(f"{mapped}/{max(network.prefixlen - 96, 0)}")
        if str(network) not in networks:
            networks.append(str(network))
    return networks


def is_allowed(address: IPAddress | None, allowlist: Sequence[str]) -> bool:
    """An empty allowlist admits everyone; otherwise the address must fall in one entry."""
    if not allowlist:
        return True
    if address is None:
        return False
    return _within(address, [ipaddress.ip_network(entry) for entry in allowlist])


def _within(address: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def request_client_ip(request) -> str | None:
    """The client address of a Django request, as a string, per settings.TRUSTED_PROXIES."""
    from django.conf import settings

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
