"""Whether a webhook URL may be registered: its shape, its scheme, and every address its host
names (README: "Outbound safety"). A refusal carries a stable code and a detail without the URL."""

from __future__ import annotations

import asyncio
import re
import socket
from ipaddress import IPv4Address, ip_address
from urllib.parse import urlsplit

import httpx

from dmi_api.errors import FieldProblem, ValidationProblemError, json_pointer
from dmi_api.webhooks.addresses import (
    InvalidHostError,
    IPAddress,
    literal_address,
    refusal,
)

MAX_URL_LENGTH = 2048
PORTS = range(1, 65536)  # a port a delivery can dial
RESOLVE_TIMEOUT_SECONDS = 5.0
URL_POINTER = json_pointer(["url"])

_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.?$")
_UNSAFE_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f\\]")
_KINDS = {
    "loopback": "a loopback address",
    "private": "a private address",
    "link_local": "a link-local address (cloud metadata among them)",
    "multicast": "a multicast address",
    "reserved": "a reserved address",
    "unspecified": "the unspecified address",
    "shared": "a shared (carrier-grade NAT) address",
    "not_global": "not a globally routable address",
    "zone_id": "an address with a zone id",
}


class WebhookUrlError(Exception):
    """A webhook URL refused: a stable `code` and a `detail` that never repeats the URL."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail

    def field_problem(self) -> FieldProblem:
        """The refusal as an entry of a 422's `errors`, pointing at the body's `url`."""
        return FieldProblem(URL_POINTER, self.detail, self.code)

    def validation_error(self) -> ValidationProblemError:
        """The refusal as the 422 problem a router raises."""
        return ValidationProblemError([self.field_problem()])


def _too_long() -> WebhookUrlError:
    return WebhookUrlError("url_too_long", f"The URL is longer than {MAX_URL_LENGTH} characters.")


def _check_port(port: int | None) -> None:
    """Refuse a port no connection can use (`:0`, `:65536`, `:-1`: httpx reads them all)."""
    if port is not None and port not in PORTS:
        raise WebhookUrlError("url_invalid", "The URL's port is not between 1 and 65535.")


def _refuse(address: IPAddress, *, allow_loopback: bool) -> None:
    if reason := refusal(address, allow_loopback=allow_loopback):
        raise WebhookUrlError(
            "address_not_allowed",
            f"The URL's host is or resolves to {_KINDS[reason]}; webhooks reach public hosts only.",
        )


def _refuse_literal_host(url: str, *, allow_loopback: bool) -> None:
    """Refuse a URL whose host is a literal address, refused, that httpx does not parse."""
    try:
        address = literal_address(urlsplit(url).hostname or "")
    except ValueError:
        return
    if address is not None:
        _refuse(address, allow_loopback=allow_loopback)


def _is_localhost_name(host: str) -> bool:
    name = host.rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def _parsed(url: str, *, allow_loopback: bool) -> httpx.URL:
    if len(url) > MAX_URL_LENGTH:
        raise _too_long()
    invalid = WebhookUrlError("url_invalid", "The URL is not a valid absolute URL.")
    if _UNSAFE_CHARACTERS.search(url):
        raise invalid
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        _refuse_literal_host(url, allow_loopback=allow_loopback)  # httpx refuses `0177.0.0.1`
        raise invalid from None
    if parsed.scheme not in ("https", "http"):
        raise WebhookUrlError("scheme_not_allowed", "The URL must use https://.")
    if parsed.userinfo:
        raise WebhookUrlError("userinfo_not_allowed", "The URL must not carry a user or password.")
    if not parsed.raw_host:
        raise WebhookUrlError("host_missing", "The URL has no host.")
    _check_port(parsed.port)
    return parsed


def _checked(url: str, *, allow_loopback: bool) -> tuple[httpx.URL, IPAddress | None]:
    """The URL without its fragment (an IPv4 host in dotted form), and its literal address."""
    parsed = _parsed(url, allow_loopback=allow_loopback)
    host = parsed.raw_host.decode("ascii")
    try:
        address = literal_address(host)
    except InvalidHostError:
        raise WebhookUrlError("url_invalid", "The URL's host is not a valid address.") from None
    if address is not None:
        _refuse(address, allow_loopback=allow_loopback)
        loopback = address.is_loopback
        if isinstance(address, IPv4Address):
            parsed = parsed.copy_with(host=str(address))
    else:
        if not _HOSTNAME.match(host):
            raise WebhookUrlError("url_invalid", "The URL's host is not a valid hostname.")
        loopback = _is_localhost_name(host)
        if loopback and not allow_loopback:
            raise WebhookUrlError("localhost_not_allowed", "The URL's host names this machine.")
    if parsed.scheme == "http" and not (allow_loopback and loopback):
        raise WebhookUrlError("scheme_not_allowed", "The URL must use https://.")
    normalised = parsed.copy_with(fragment=None)
    # As stored and called: percent-encoding can make it up to nine times longer.
    if len(str(normalised)) > MAX_URL_LENGTH:
        raise _too_long()
    return normalised, address


def check_webhook_url(url: str, *, allow_loopback: bool) -> str:
    """The normalised URL if its shape and literal host may be registered (a hostname is not
    resolved: see `check_webhook_url_resolving`); raises `WebhookUrlError`."""
    return str(_checked(url, allow_loopback=allow_loopback)[0])


async def resolve(host: str, port: int, *, timeout_seconds: float) -> list[IPAddress]:
    """Every address the system resolver gives for `host` (`host_unresolvable` if none)."""
    unresolvable = WebhookUrlError("host_unresolvable", "The URL's host does not resolve.")
    try:
        async with asyncio.timeout(timeout_seconds):
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
    except (OSError, TimeoutError, UnicodeError):
        raise unresolvable from None
    addresses = list(dict.fromkeys(ip_address(str(info[4][0])) for info in infos))
    if not addresses:
        raise unresolvable
    return addresses


async def vetted_addresses(
    host: str, port: int, *, allow_loopback: bool, timeout_seconds: float = RESOLVE_TIMEOUT_SECONDS
) -> list[IPAddress]:
    """The addresses `host` (a name or any literal form) leads to, each one allowed; raises
    `WebhookUrlError` if the host does not resolve or ANY of its addresses is refused (or the
    port is none)."""
    _check_port(port)
    try:
        address = literal_address(host)
    except InvalidHostError:
        raise WebhookUrlError("url_invalid", "The URL's host is not a valid address.") from None
    addresses = (
        [address]
        if address is not None
        else await resolve(host, port, timeout_seconds=timeout_seconds)
    )
    for each in addresses:
        _refuse(each, allow_loopback=allow_loopback)
    return addresses


async def check_webhook_url_resolving(
    url: str, *, allow_loopback: bool, timeout_seconds: float = RESOLVE_TIMEOUT_SECONDS
) -> str:
    """`check_webhook_url`, and a hostname resolved: every address must be allowed (an http://
    URL's all loopback). For registration; a delivery checks again at connection time."""
    parsed, address = _checked(url, allow_loopback=allow_loopback)
    if address is None:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        addresses = await vetted_addresses(
            parsed.raw_host.decode("ascii"),
            port,
            allow_loopback=allow_loopback,
            timeout_seconds=timeout_seconds,
        )
        if parsed.scheme == "http" and not all(each.is_loopback for each in addresses):
            raise WebhookUrlError("scheme_not_allowed", "The URL must use https://.")
    return str(parsed)
