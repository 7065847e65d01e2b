"""Which IP addresses a webhook may reach: literal hosts parsed as a resolver would, and the
public-address rule applied to every address, embedded IPv4 addresses included."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import unquote

IPAddress = IPv4Address | IPv6Address

_NUMBER = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")
_NAT64 = IPv6Network("64:ff9b::/96")
_CARRIER_GRADE_NAT = IPv4Network("100.64.0.0/10")
# The order the reasons are tried in: the first that holds names the refusal.
_REFUSED_KINDS = ("unspecified", "link_local", "multicast", "reserved", "private")


class InvalidHostError(ValueError):
    """The host looks like an IP address (it ends in a number, or has a colon) but is none."""


def _ipv4_part(text: str) -> int:
    """One dotted part the way inet_aton(3) and browsers read it: 0x hex, leading-0 octal."""
    if text[:2] in ("0x", "0X"):
        return int(text[2:] or "0", 16)
    if len(text) > 1 and text.startswith("0"):
        if not text.isdigit() or set(text) & {"8", "9"}:
            raise InvalidHostError("not an octal number")
        return int(text, 8)
    return int(text)


def _ipv4(host: str) -> IPv4Address | None:
    """`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1` and mixed forms; None for a hostname."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # one trailing dot is the root, as in `127.0.0.1.`
    if not _NUMBER.match(parts[-1]):
        return None  # a name: only a host ending in a number is read as IPv4 (WHATWG)
    if len(parts) > 4 or not all(_NUMBER.match(part) for part in parts):
        raise InvalidHostError("not an IPv4 address")
    numbers = [_ipv4_part(part) for part in parts]
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise InvalidHostError("an IPv4 part is out of range")
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return IPv4Address(value)


def literal_address(host: str) -> IPAddress | None:
    """The address a literal IP host names (brackets and `%25` zone ids allowed), or None when
    the host is a name to resolve."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return IPv6Address(unquote(host))
        except ValueError:
            raise InvalidHostError("not an IPv6 address") from None
    return _ipv4(host)


def _embedded_ipv4(address: IPv6Address) -> tuple[list[IPv4Address], bool]:
    """The IPv4 addresses an IPv6 address leads to, and whether they alone decide (IPv4-mapped
    and NAT64 addresses are their IPv4 address; 6to4, Teredo and IPv4-compatible ones are
    judged on both)."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped], True
    if address in _NAT64:
        return [IPv4Address(int(address) & 0xFFFFFFFF)], True
    embedded: list[IPv4Address] = []
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.extend(address.teredo)
    if int(address) >> 32 == 0 and int(address) > 1:
        embedded.append(IPv4Address(int(address) & 0xFFFFFFFF))  # IPv4-compatible `::a.b.c.d`
    return embedded, False


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why a webhook may not reach `address` (`loopback`, `private`, `link_local`, ...), or
    None when it may: a globally routable unicast address, or loopback when allowed."""
    if isinstance(address, IPv6Address):
        if address.scope_id:
            return "zone_id"  # a zone id names a local interface: never a public route
        embedded, decisive = _embedded_ipv4(address)
        for inner in embedded:  # loopback is allowed as 127.0.0.0/8 and ::1 only, never inside
            if reason := refusal(inner, allow_loopback=False):
                return reason
        if decisive:
            return None
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    for kind in _REFUSED_KINDS:
        if getattr(address, f"is_{kind}"):
            return kind
    if isinstance(address, IPv4Address) and address in _CARRIER_GRADE_NAT:
        return "shared"
    if isinstance(address, IPv6Address) and address.is_site_local:
        return "private"  # fec0::/10, deprecated site-local
    return None if address.is_global else "not_global"
