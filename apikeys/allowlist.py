"""IP allowlists of API keys: which addresses a key may be used from."""

import ipaddress
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError

from core.http import IPAddress, IPNetwork, within


def parse_allowlist(entries: Iterable[str]) -> list[str]:
    """Validate and normalize allowlist entries (addresses or CIDR ranges).

    Returns canonical strings (`10.0.0.0/8`, `2001:db8::/32`, `203.0.113.7/32`); raises ValueError
    naming the first bad entry. Host bits set in a range (`10.0.0.1/8`) are an error: they
    usually mean a typo.
    """
    if isinstance(entries, str | bytes) or not isinstance(entries, Iterable):
        raise ValueError("The allowlist is a list of addresses or CIDR ranges.")
    networks: list[str] = []
    for entry in entries:
        if not isinstance(entry, str):
            raise ValueError(f"{entry!r} is not an IP address or CIDR range (not a string).")
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


def validate_allowlist(value) -> None:
    """A model field validator: the stored value must be what parse_allowlist returns."""
    try:
        canonical = parse_allowlist(value)
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_allowlist") from None
    if canonical != value:
        raise ValidationError("Store the allowlist in canonical form.", code="not_canonical")


def is_allowed(address: IPAddress | None, allowlist: Sequence[str]) -> bool:
    """An empty allowlist admits everyone; otherwise the address must fall in one entry.

    Every write path validates the list (validate_allowlist), so an entry that does not parse
    can only be a row edited outside the app: it matches nothing, and a list of nothing but
    such entries admits no one, rather than failing every request or admitting everyone."""
    if not allowlist:
        return True
    if address is None:
        return False
    return within(address, _networks(allowlist))


def _networks(allowlist: Sequence[str]) -> list[IPNetwork]:
    networks = []
    for entry in allowlist if isinstance(allowlist, list | tuple) else ():
        try:
            networks.append(ipaddress.ip_network(entry))
        except (TypeError, ValueError):
            continue
    return networks
