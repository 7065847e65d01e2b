"""The HTTP client of webhook deliveries: redirects never followed, a total timeout, and each
connection's address checked when it is dialled, so a name that resolved to a public address
at registration and to a private one now (DNS rebinding) is refused (README: "Outbound safety")."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpcore
import httpx

from dmi_api.webhooks.url_policy import RESOLVE_TIMEOUT_SECONDS, WebhookUrlError, vetted_addresses

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_CONNECTIONS = 20
USER_AGENT = "dmi-api-webhooks/1"


class OutboundRefusedError(Exception):
    """A delivery not dialled: its address (`address_not_allowed`, ...) or its scheme
    (`scheme_not_allowed`) is refused; `code` says which."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class HostUnresolvedError(httpcore.ConnectError):
    """The receiver's host did not resolve when the delivery dialled it."""


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, refuses it if ANY address is refused, and connects to the
    addresses it checked; TLS (SNI, certificate) and the Host header still name the host."""

    def __init__(self, *, allow_loopback: bool) -> None:
        self._allow_loopback = allow_loopback
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A stream to an allowed address of `host`, or `OutboundRefusedError`."""
        try:
            addresses = await vetted_addresses(
                host,
                port,
                allow_loopback=self._allow_loopback,
                timeout_seconds=timeout or RESOLVE_TIMEOUT_SECONDS,
            )
        except WebhookUrlError as error:
            if error.code == "host_unresolvable":
                raise HostUnresolvedError(error.detail) from None
            raise OutboundRefusedError(error.code, error.detail) from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure or HostUnresolvedError("no address")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: a delivery goes over TCP to a checked address."""
        raise OutboundRefusedError("address_not_allowed", "Deliveries do not use Unix sockets.")

    async def sleep(self, seconds: float) -> None:
        """httpcore's pause between connection retries."""
        await self._inner.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on a connection pool that dials through `CheckedBackend`; http://
    only when loopback is allowed (development)."""

    def __init__(self, *, allow_loopback: bool, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        # httpx 0.28 takes no network backend: the pool it built is replaced by one that uses
        # ours (httpcore's public API). Should httpx rename its pool, this fails loudly here.
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx.AsyncHTTPTransport has no connection pool to replace")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=CheckedBackend(allow_loopback=allow_loopback),
        )
        self._allow_loopback = allow_loopback

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, refusing a plain http:// one unless loopback is allowed."""
        if request.url.scheme != "https" and not self._allow_loopback:
            raise OutboundRefusedError("scheme_not_allowed", "A delivery URL must use https://.")
        return await super().handle_async_request(request)


class DeliveryClient(httpx.AsyncClient):
    """An httpx client for deliveries: no redirects, no proxies or credentials from the
    environment, every dial checked; `total_timeout_seconds` bounds one delivery, counted from
    when it holds one of the `slots`."""

    def __init__(
        self,
        *,
        allow_loopback: bool,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        )
        super().__init__(
            transport=CheckedTransport(allow_loopback=allow_loopback, limits=limits),
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(timeout_seconds),
            headers={"User-Agent": USER_AGENT},
        )
        self.total_timeout_seconds = timeout_seconds
        # One per connection of the pool: a delivery holds one before its timeout starts, so
        # that it never waits in the pool, where the wait (behind other clinics' calls to a
        # hanging receiver) would count against its own receiver's time.
        self.slots = asyncio.Semaphore(max_connections)


def delivery_client(
    *,
    allow_loopback: bool,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> DeliveryClient:
    """The delivery client for `Settings.webhook_allow_loopback`; close it with `aclose()`."""
    return DeliveryClient(
        allow_loopback=allow_loopback,
        timeout_seconds=timeout_seconds,
        max_connections=max_connections,
    )
