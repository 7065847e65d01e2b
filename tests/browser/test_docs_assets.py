"""/docs and /redoc in process (both passes, no browser): local assets, a tight policy."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest

from dmi_api.http.docs_ui import ASSETS_PATH

_URL_ATTRIBUTES = re.compile(r'(?:src|href|spec-url)="([^"]*)"')


def _policy(response: httpx.Response) -> dict[str, list[str]]:
    directives = response.headers["content-security-policy"].split(";")
    return {name: values for name, *values in (d.split() for d in directives)}


@pytest.mark.parametrize(
    ("path", "assets"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
        ("/redoc", {"redoc.standalone.js", "favicon.png"}),
    ],
)
async def test_docs_page_loads_only_local_assets(
    client: httpx.AsyncClient, path: str, assets: set[str]
) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert "http" not in page.text.lower()  # no absolute URL: nothing from another host
    assert "/openapi.json" in page.text
    urls = set(_URL_ATTRIBUTES.findall(page.text)) - {"/openapi.json"}
    assert urls == {f"{ASSETS_PATH}/{name}" for name in assets}
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) > 500, url


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_page_policy_allows_its_own_origin_only(
    client: httpx.AsyncClient, path: str
) -> None:
    page = await client.get(path)
    policy = _policy(page)
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any(
        "http" in value or value == "*" for values in policy.values() for value in values
    )
    # Scripts: this origin, plus the page's own inline start-up script by its exact hash.
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline
    ]
    assert policy["script-src"] == ["'self'", *hashes]
    assert len(inline) == (1 if path == "/docs" else 0)


async def test_assets_are_revalidated_not_fetched_again(client: httpx.AsyncClient) -> None:
    url = f"{ASSETS_PATH}/swagger-ui-bundle.js"
    first = await client.get(url)
    assert first.headers["cache-control"] == "no-cache"  # kept, revalidated on each use
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    # The pages themselves (and every API answer) are never stored.
    assert (await client.get("/docs")).headers["cache-control"] == "no-store"
    assert (await client.get("/openapi.json")).headers["cache-control"] == "no-store"
