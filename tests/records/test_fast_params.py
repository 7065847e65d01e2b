"""Routes served without FastAPI's dependency solver answer exactly as with it (both backends).

Each request is sent twice: through the route's `fast_handler` (dmi_api.http.fast_params) and
with it switched off, so that FastAPI solves the dependencies itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from dmi_api.http.routing import DmiRoute
from tests.records.conftest import Headers
from tests.support.insights import make_clinic
from tests.support.records import seed_child
from tests.support.tenants import TenantClient

FAST_ROUTES = {
    ("GET", "/v1/children"),
    ("GET", "/v1/children/{child_id}"),
    ("GET", "/v1/children/{child_id}/progress"),
    ("GET", "/v1/children/{child_id}/progress.svg"),
    ("GET", "/v1/session-records"),
    ("GET", "/v1/children/{child_id}/session-records"),
}


def _routes(app: FastAPI) -> Iterator[APIRoute]:
    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)

    yield from walk(app.router.routes)


def _fast_routes(app: FastAPI) -> list[DmiRoute]:
    return [r for r in _routes(app) if isinstance(r, DmiRoute) and r.fast_handler is not None]


def test_the_fast_routes_are_the_ones_compared_here(app: FastAPI) -> None:
    # A route that becomes eligible must join the comparisons below.
    found = {(method, r.path) for r in _fast_routes(app) for method in r.methods or ()}
    assert found == FAST_ROUTES


def _comparable(response: httpx.Response) -> tuple[Any, ...]:
    json = "json" in response.headers.get("content-type", "")
    body: Any = (response.json() if json else response.text) if response.content else None
    if isinstance(body, dict):
        body.pop("request_id", None)
        body.pop("instance", None)
        if isinstance(body.get("next_cursor"), str):
            body["next_cursor"] = "<sealed>"  # a fresh nonce each time
    headers = {
        name: response.headers.get(name)
        for name in ("content-type", "etag", "www-authenticate", "retry-after")
    }
    return response.status_code, headers, "link" in response.headers, body


async def _both_ways(
    app: FastAPI, client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> tuple[Any, Any]:
    routes = _fast_routes(app)
    saved = [(route, route.fast_handler) for route in routes]
    served_fast: list[str] = []

    def counted(handler: Any) -> Any:
        async def serve(request: Any) -> Any:
            served_fast.append(request.url.path)
            return await handler(request)

        return serve

    try:
        for route, handler in saved:
            route.fast_handler = counted(handler)
        fast = await client.get(path, headers=headers)
        fast_count = len(served_fast)
        for route in routes:
            route.fast_handler = None
        solved = await client.get(path, headers=headers)
    finally:
        for route, handler in saved:
            route.fast_handler = handler
    # Each way was the one taken: the second request not through the bypass, the first through
    # it unless the edge checks refused it before any handler (an unknown parameter's 422).
    assert len(served_fast) == fast_count
    assert fast_count == 1 or fast.status_code == 422
    return _comparable(fast), _comparable(solved)


QUERIES = [
    "",
    "?limit=1",
    "?limit=1&limit=2",
    "?limit=0",
    "?limit=abc",
    "?limit=201",
    "?sort=-created_at&status=active",
    "?sort=bad&status=x&limit=-1",
    "?updated_since=2000-01-01T00:00:00Z",
    "?updated_since=6",
    "?external_id=a%20b",
    "?birth_date_from=2020-13-01",
    "?birth_date_from=2021-01-01&birth_date_to=2020-01-01",
    "?cursor=abc",
    "?cursor=" + "x" * 1025,
    "?unknown=1&limit=2",
    "?status=",
]


class TestSameAnswers:
    @pytest.mark.parametrize("query", QUERIES)
    async def test_list(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        query: str,
    ) -> None:
        for _ in range(3):
            await seed_child(app, tenant_a)
        headers = await headers_for(tenant_a, "children:read")
        fast, solved = await _both_ways(app, client, f"/v1/children{query}", headers)
        assert fast == solved

    @pytest.mark.parametrize(
        "authorization",
        [None, "", "Bearer", "Basic abc", "Bearer not.a.token", "bearer  ", "WRONG-SCOPE"],
    )
    @pytest.mark.parametrize("path", ["/v1/children?limit=abc", "/v1/children/not-a-uuid"])
    async def test_tokens_are_checked_before_parameters(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        authorization: str | None,
        path: str,
    ) -> None:
        if authorization == "WRONG-SCOPE":
            headers = await headers_for(tenant_a, "sessions:read")
        else:
            headers = {} if authorization is None else {"Authorization": authorization}
        fast, solved = await _both_ways(app, client, path, headers)
        assert fast == solved
        assert fast[0] in (401, 403)

    async def test_get(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        mine = await seed_child(app, tenant_a, gestational_age_weeks=30)
        theirs = await seed_child(app, tenant_b)
        gone = await seed_child(app, tenant_a, deleted_at=datetime.now(UTC))
        headers = await headers_for(tenant_a, "children:read")
        for child_id in (mine.id, theirs.id, gone.id, uuid.uuid4(), "not-a-uuid", "1" * 40):
            fast, solved = await _both_ways(app, client, f"/v1/children/{child_id}", headers)
            assert fast == solved
        fast, solved = await _both_ways(
            app,
            client,
            f"/v1/children/{mine.id}",
            {
                **headers,
                "If-None-Match": (
                    await client.get(f"/v1/children/{mine.id}", headers=headers)
                ).headers["etag"],
            },
        )
        assert fast == solved
        assert fast[0] == 304

    @pytest.mark.parametrize(
        "query",
        [
            "",
            "?from=2024-06-01",
            "?from=2024-06-01&to=2025-01-01",
            "?to=2024-01-01",  # before the birth: no day
            "?from=2024-13-01",
            "?to=abc&from=",
            "?from=2024-06-01&from=2024-07-01",
            "?unknown=1",
        ],
    )
    @pytest.mark.parametrize("suffix", ["", ".svg"])
    async def test_progress(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
        query: str,
        suffix: str,
    ) -> None:
        """The report (a model rendered by the route itself) and its chart, with the period's
        aliases `from` and `to`, for the clinic's child, another clinic's and no child."""
        kid = await make_clinic(app, tenant_a, headers_for)
        theirs = await seed_child(app, tenant_b)
        await kid.session(
            client,
            "2024-07-02T10:00:00Z",
            [{"exercise_id": kid.exercise_ids[0], "support_point": "trunk", "response": "full"}],
        )
        for child_id in (kid.child_id, theirs.id, uuid.uuid4()):
            path = f"/v1/children/{child_id}/progress{suffix}{query}"
            fast, solved = await _both_ways(app, client, path, kid.headers)
            assert fast == solved
        fast, _ = await _both_ways(app, client, f"/v1/children/{kid.child_id}/progress", {})
        assert fast[0] == 401

    @pytest.mark.parametrize(
        "query",
        [
            "?from=2024-07-01T00:00:00Z&to=2024-08-01T00:00:00Z",
            "?from=2024-07-01",  # a date, not an instant
            "?type=home_practice&limit=1",
            "?to=2024-07-01T00:00:00Z&from=2024-08-01T00:00:00Z",
        ],
    )
    async def test_session_record_lists(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        query: str,
    ) -> None:
        kid = await make_clinic(app, tenant_a, headers_for)
        for day in ("02", "09"):
            await kid.session(client, f"2024-07-{day}T10:00:00Z", [])
        for path in ("/v1/session-records", f"/v1/children/{kid.child_id}/session-records"):
            fast, solved = await _both_ways(app, client, path + query, kid.headers)
            assert fast == solved
