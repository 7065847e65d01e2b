"""Every error is an RFC 9457 problem document with a stable code and the request id."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:dmi-api:problem:{code}"
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


class TestUnknownRoutesAndMethods:
    async def test_unknown_route_is_404_problem(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/no/such/route")
        assert_problem(response, 404, "not_found")

    async def test_wrong_method_is_405_with_allow(self, client: httpx.AsyncClient) -> None:
        response = await client.delete("/healthz")
        assert_problem(response, 405, "method_not_allowed")
        assert response.headers["allow"] == "GET, HEAD"

    async def test_allow_lists_every_method_of_the_path(self, client: httpx.AsyncClient) -> None:
        # Three routes serve this path; Starlette alone would name only the first one's method.
        response = await client.put(f"/v1/practitioners/{uuid.uuid4()}", json={})
        assert_problem(response, 405, "method_not_allowed")
        assert response.headers["allow"] == "DELETE, GET, HEAD, PATCH"

    async def test_a_literal_path_is_no_rows_id(self, client: httpx.AsyncClient) -> None:
        """`PATCH /v1/children/search` is a 405, not a PATCH of the child `search` (a 400 or
        422 for its id or its If-Match): a method of `/v1/children/{child_id}` that
        `/v1/children/search` does not serve. Every documented literal path, every such method."""
        app = client._transport.app  # type: ignore[attr-defined]
        paths: dict[str, dict[str, object]] = app.openapi()["paths"]
        checked = []
        for path, item in paths.items():
            if "{" in path:
                continue
            served = {method.upper() for method in item}
            allow = ", ".join(sorted(served | ({"HEAD"} if "GET" in served else set())))
            for pattern, other in paths.items():
                like = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(pattern))
                if "{" not in pattern or not re.fullmatch(like, path):
                    continue
                for method in {m.upper() for m in other} - served:
                    response = await client.request(
                        method, path, headers={"If-Match": "0"}, json={}
                    )
                    assert response.status_code == 405, (method, path, response.text)
                    assert response.headers["allow"] == allow, (method, path)
                    checked.append(f"{method} {path}")
        assert {"PATCH /v1/children/search", "GET /v1/session-records/batch"} <= set(checked)


class TestBodyLimit:
    @pytest.fixture
    def limit(self, client: httpx.AsyncClient) -> int:
        app = client._transport.app  # type: ignore[attr-defined]
        max_body: int = app.state.settings.max_body_bytes
        return max_body

    async def test_declared_length_over_limit_is_413(
        self, client: httpx.AsyncClient, limit: int
    ) -> None:
        body = json.dumps({"name": "x", "age": 1, "tags": ["a" * limit]})
        response = await client.post(
            "/_probe/echo", content=body, headers={"content-type": "application/json"}
        )
        assert_problem(response, 413, "payload_too_large")

    async def test_chunked_body_over_limit_is_413(
        self, client: httpx.AsyncClient, limit: int
    ) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"name": "x", "age": 1, "tags": ["'
            for _ in range(limit // 8192 + 2):
                yield b"a" * 8192
            yield b'"]}'

        response = await client.post(
            "/_probe/echo", content=chunks(), headers={"content-type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        assert_problem(response, 413, "payload_too_large")

    async def test_chunked_body_under_limit_passes(self, client: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"name": "x",'
            yield b' "age": 3}'

        response = await client.post(
            "/_probe/echo", content=chunks(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 201
        assert response.json() == {"name": "x", "age": 3, "tags": []}

    async def test_invalid_content_length_is_400(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/_probe/echo",
            content=b"{}",
            headers={"content-type": "application/json", "content-length": "2x"},
        )
        assert_problem(response, 400, "bad_request")


class TestMediaType:
    @pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
    async def test_non_json_body_is_415(
        self, client: httpx.AsyncClient, content_type: str | None
    ) -> None:
        headers = {"content-type": content_type} if content_type else {}
        response = await client.post(
            "/_probe/echo", content=b'{"name": "x", "age": 1}', headers=headers
        )
        assert_problem(response, 415, "unsupported_media_type")

    async def test_json_with_charset_and_suffix_types_are_accepted(
        self, client: httpx.AsyncClient
    ) -> None:
        for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
            response = await client.post(
                "/_probe/echo",
                content=b'{"name": "x", "age": 1}',
                headers={"content-type": content_type},
            )
            assert response.status_code == 201, content_type

    async def test_json_on_form_route_is_415(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/_probe/form", json={"grant_type": "x"})
        assert_problem(response, 415, "unsupported_media_type")
        accepted = await client.post("/_probe/form", data={"grant_type": "x"})
        assert accepted.json() == {"grant_type": "x"}


class TestValidation:
    async def test_one_entry_per_field_with_pointer(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/_probe/echo", json={"name": "", "age": -1, "tags": [1]})
        body = assert_problem(response, 422, "validation_error")
        errors = body["errors"]
        assert isinstance(errors, list)
        pointers = sorted(error["pointer"] for error in errors)
        assert pointers == ["#/age", "#/name", "#/tags/0"]
        assert all(error["location"] == "body" for error in errors)
        assert all(error["detail"] and error["code"] for error in errors)

    async def test_missing_field_points_at_it(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/_probe/echo", json={"name": "x"})
        body = assert_problem(response, 422, "validation_error")
        assert body["errors"] == [
            {"location": "body", "pointer": "#/age", "detail": "Field required", "code": "missing"}
        ]

    async def test_invalid_input_is_not_echoed(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/_probe/echo", json={"name": "Jane Doe", "age": "Jane Doe"})
        assert response.status_code == 422
        assert "Jane" not in response.text

    async def test_malformed_json_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/_probe/echo", content=b'{"name": ', headers={"content-type": "application/json"}
        )
        body = assert_problem(response, 422, "validation_error")
        assert body["errors"] == [
            {
                "location": "body",
                "pointer": "#",
                "detail": "The body is not valid JSON.",
                "code": "json_invalid",
            }
        ]

    async def test_query_and_path_parameters(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/_probe/items/not-a-uuid", params={"limit": 1000})
        body = assert_problem(response, 422, "validation_error")
        assert sorted((e["location"], e["pointer"]) for e in body["errors"]) == [
            ("path", "#/item_id"),
            ("query", "#/limit"),
        ]


class TestUnstorableText:
    async def test_nul_in_body_string_is_422_with_pointer(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/_probe/echo", json={"name": "a\u0000b", "age": 1, "tags": ["ok", "x\u0000"]}
        )
        body = assert_problem(response, 422, "validation_error")
        assert sorted(e["pointer"] for e in body["errors"]) == ["#/name", "#/tags/1"]

    async def test_unpaired_surrogate_is_422(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/_probe/echo",
            content=b'{"name": "a\\ud800", "age": 1}',
            headers={"content-type": "application/json"},
        )
        body = assert_problem(response, 422, "validation_error")
        assert [e["pointer"] for e in body["errors"]] == ["#/name"]

    async def test_escaped_backslash_u0000_text_is_fine(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/_probe/echo",
            content=b'{"name": "\\\\u0000", "age": 1}',
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 201
        assert response.json()["name"] == "\\u0000"

    async def test_deep_nesting_with_an_escape_is_a_client_error(
        self, client: httpx.AsyncClient
    ) -> None:
        # An escape (`\u...`) sends the body through the NUL check's own parse and walk.
        too_deep = b'{"name": "\\u0041", "age": 1, "tags": ' + b"[" * 100_000 + b"]" * 100_000
        response = await client.post(
            "/_probe/echo", content=too_deep + b"}", headers={"content-type": "application/json"}
        )
        assert_problem(response, 400, "bad_request")  # as the same body without an escape
        # Deep, but not too deep to parse: the NUL is still found.
        deep = b"[" * 900 + b'"\\u0000"' + b"]" * 900
        response = await client.post(
            "/_probe/echo",
            content=b'{"name": "x", "age": 1, "tags": ' + deep + b"}",
            headers={"content-type": "application/json"},
        )
        body = assert_problem(response, 422, "validation_error")
        assert [e["code"] for e in body["errors"]] == ["string_unstorable"]
        assert body["errors"][0]["pointer"] == "#/tags" + "/0" * 900

    async def test_nul_in_query_and_path(self, client: httpx.AsyncClient) -> None:
        uid = "00000000-0000-4000-8000-000000000000"
        query = await client.get(f"/_probe/items/{uid}", params={"q": "a\x00b"})
        assert [e["pointer"] for e in assert_problem(query, 422, "validation_error")["errors"]] == [
            "#/q"
        ]
        path = await client.get("/_probe/items/ab%00cd")
        assert_problem(path, 422, "validation_error")


class TestUnexpectedError:
    async def test_500_hides_internals_and_logs_request_id(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.ERROR, logger="dmi_api.errors"):
            response = await client.get("/_probe/boom")
        body = assert_problem(response, 500, "internal_error")
        for leak in ("SELECT", "Jane", "/srv", "Traceback", "RuntimeError", ".py"):
            assert leak not in response.text
        records = [r for r in caplog.records if r.name == "dmi_api.errors"]
        assert len(records) == 1
        record = records[0]
        assert record.__dict__["request_id"] == body["request_id"]
        assert record.__dict__["exc_types"] == ["builtins.RuntimeError"]
        assert "Jane" not in record.getMessage()
        assert "Jane" not in json.dumps(record.__dict__.get("stack", ""))
