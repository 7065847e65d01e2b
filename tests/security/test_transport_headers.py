"""HTTP Strict Transport Security: every answer given over TLS (directly, or behind a trusted
proxy that terminates it) tells browsers and HTTP clients to use https:// only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture
async def behind_proxy(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app as `dmi-api serve` runs it: uvicorn's proxy headers, this peer trusted."""
    # uvicorn's and httpx's ASGI types differ only in their annotations.
    served: Any = ProxyHeadersMiddleware(cast(Any, app), trusted_hosts="127.0.0.1")
    transport = httpx.ASGITransport(app=served, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.internal") as client:
        yield client


@pytest.mark.parametrize("path", ["/healthz", "/nope", "/.well-known/jwks.json", "/docs"])
async def test_answers_over_tls_carry_hsts(behind_proxy: httpx.AsyncClient, path: str) -> None:
    response = await behind_proxy.get(path, headers={"X-Forwarded-Proto": "https"})
    assert response.headers.get("strict-transport-security") == HSTS


async def test_a_token_response_over_tls_carries_hsts(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.example") as client:
        response = await client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.headers.get("strict-transport-security") == HSTS


async def test_plain_http_answers_carry_no_hsts(behind_proxy: httpx.AsyncClient) -> None:
    # RFC 6797 §7.2: a host must not send it over plain http (development, a local probe).
    response = await behind_proxy.get("/healthz")
    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers
