"""Request ids, security headers, CORS and the structured access log."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from dmi_api.config import Settings
from dmi_api.http.middleware import _with_our_headers
from dmi_api.logging_config import JsonFormatter
from tests.conftest import build_test_app
from tests.records.conftest import headers_maker
from tests.support.ports import free_port
from tests.support.service_logs import service_logs
from tests.support.sessions import make_clinic
from tests.support.tenants import bearer, make_tenant, mint_token


class TestRequestId:
    async def test_generated_when_absent(self, client: httpx.AsyncClient) -> None:
        first = await client.get("/healthz")
        second = await client.get("/healthz")
        assert len(first.headers["x-request-id"]) >= 16
        assert first.headers["x-request-id"] != second.headers["x-request-id"]

    async def test_sane_incoming_id_is_echoed(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/healthz", headers={"X-Request-ID": "ehr-sync.2026-11-24:0042"}
        )
        assert response.headers["x-request-id"] == "ehr-sync.2026-11-24:0042"

    @pytest.mark.parametrize(
        "incoming", ["short", "a" * 200, "bad id with spaces", "x\r\nSet-Cookie:a=b", "ü" * 10]
    )
    async def test_insane_incoming_id_is_replaced(
        self, client: httpx.AsyncClient, incoming: str
    ) -> None:
        response = await client.get("/healthz", headers={b"X-Request-ID": incoming.encode()})
        assert response.headers["x-request-id"] != incoming
        assert len(response.headers["x-request-id"]) == 32

    async def test_error_bodies_carry_the_id(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/nope", headers={"X-Request-ID": "trace-12345678"})
        assert response.json()["request_id"] == "trace-12345678"


class TestSecurityHeaders:
    @pytest.mark.parametrize("path", ["/healthz", "/readyz", "/nope"])
    async def test_api_responses(self, client: httpx.AsyncClient, path: str) -> None:
        response = await client.get(path)
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "server" not in response.headers
        assert "default-src 'none'" in response.headers["content-security-policy"]

    @pytest.mark.parametrize("is_docs", [False, True])
    def test_ours_replace_the_apps_and_nothing_else(self, is_docs: bool) -> None:
        app_headers = [
            (b"content-type", b"application/json"),
            (b"Cache-Control", b"max-age=60"),
            (b"x-request-id", b"spoofed"),
            (b"content-security-policy", b"script-src 'self'"),
            (b"etag", b'"3"'),
        ]
        raw = _with_our_headers(app_headers, "req-12345678", is_docs=is_docs)
        names = [name.lower() for name, _ in raw]
        assert len(names) == len(set(names))
        headers = {name.lower(): value for name, value in raw}
        assert headers[b"cache-control"] == b"no-store"
        assert headers[b"x-request-id"] == b"req-12345678"
        assert headers[b"x-frame-options"] == b"DENY"
        assert headers[b"content-type"] == b"application/json"
        assert headers[b"etag"] == b'"3"'
        # The interactive docs keep their own policy (they load scripts); data gets ours.
        csp = b"script-src 'self'" if is_docs else b"default-src 'none'; frame-ancestors 'none'"
        assert headers[b"content-security-policy"] == csp


class TestCors:
    async def test_closed_by_default(self, client: httpx.AsyncClient) -> None:
        response = await client.options(
            "/healthz",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in response.headers
        simple = await client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in simple.headers

    async def test_open_to_configured_origins_only(self, settings: Settings) -> None:
        configured = settings.model_copy(update={"cors_origins": ["https://app.clinic.example"]})
        app = build_test_app(configured)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            allowed = await client.options(
                "/healthz",
                headers={
                    "Origin": "https://app.clinic.example",
                    "Access-Control-Request-Method": "GET",
                },
            )
            assert allowed.headers["access-control-allow-origin"] == "https://app.clinic.example"
            assert "x-request-id" in allowed.headers
            other = await client.get("/healthz", headers={"Origin": "https://evil.example"})
            assert "access-control-allow-origin" not in other.headers
        await app.state.engine.dispose()

    async def test_a_browser_may_send_and_read_every_header_the_api_uses(
        self, settings: Settings
    ) -> None:
        # A hybrid app's web view (or a web client) preflights a conditional, keyed, gzip
        # PATCH: each header the API reads must be allowed, each it answers with exposed.
        origin = "https://app.clinic.example"
        configured = settings.model_copy(update={"cors_origins": [origin]})
        app = build_test_app(configured)
        sent = "authorization, content-type, content-encoding, if-match, idempotency-key"
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            for method, headers in (
                ("PATCH", sent),
                ("GET", "authorization, if-none-match, prefer, x-request-id"),
            ):
                preflight = await client.options(
                    "/v1/children/11111111-2222-4333-8444-555555555555",
                    headers={
                        "Origin": origin,
                        "Access-Control-Request-Method": method,
                        "Access-Control-Request-Headers": headers,
                    },
                )
                assert preflight.status_code == 200, (method, preflight.text)
            answer = await client.get("/healthz", headers={"Origin": origin})
            exposed = {
                name.strip().lower()
                for name in answer.headers["access-control-expose-headers"].split(",")
            }
            wanted = {"etag", "location", "retry-after", "idempotent-replayed", "ratelimit"}
            assert wanted | {"ratelimit-policy", "link", "x-request-id"} <= exposed
        await app.state.engine.dispose()


class TestAccessLog:
    async def test_one_json_line_per_request_without_query_or_ids(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        item = "11111111-2222-4333-8444-555555555555"
        with caplog.at_level(logging.INFO, logger="dmi_api.access"):
            response = await client.get(f"/_probe/items/{item}", params={"q": "Jane Doe"})
        records = [r for r in caplog.records if r.name == "dmi_api.access"]
        assert len(records) == 1
        line = JsonFormatter().format(records[0])
        entry = json.loads(line)
        assert entry["method"] == "GET"
        assert entry["path"] == "/_probe/items/{item_id}"
        assert entry["status"] == 200
        assert entry["request_id"] == response.headers["x-request-id"]
        assert isinstance(entry["duration_ms"], float)
        assert "Jane" not in line
        assert item not in line

    async def test_a_librarys_line_about_an_exception_carries_not_its_text(self) -> None:
        # An exception's text can hold values (asyncpg's "invalid input for query argument $2:
        # 'Zephyrine'", a unique violation's key): asyncio's "Task exception was never
        # retrieved" and pgqueuer's "Unhandled exception in task: %s" write its repr into the
        # message; the line keeps what the library wrote, without it.
        async def fails() -> None:
            raise ValueError(f"invalid input for query argument $2: {GIVEN!r}")

        task = asyncio.get_running_loop().create_task(fails())
        await asyncio.wait({task})
        with service_logs("INFO") as lines:
            asyncio.get_running_loop().call_exception_handler(
                {
                    "message": "Task exception was never retrieved",
                    "exception": task.exception(),
                    "future": task,
                }
            )
            logging.getLogger("pgqueuer").error(
                "Unhandled exception in task: %s", task, exc_info=task.exception()
            )
        assert [(line["logger"], line["message"]) for line in lines] == [
            ("asyncio", "Task exception was never retrieved"),
            ("pgqueuer", "Unhandled exception in task: %s"),
        ]
        assert all(line["exc_type"] == "ValueError" for line in lines)
        assert GIVEN not in json.dumps(lines)

    def test_formatter_drops_unlisted_extras(self) -> None:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
        record.__dict__["body"] = {"given_name": "Jane"}
        assert "Jane" not in JsonFormatter().format(record)


@pytest.fixture
def debug_log() -> Iterator[list[dict[str, object]]]:
    """The service's logging as `DMI_LOG_LEVEL=DEBUG` configures it; every line, parsed."""
    with service_logs("DEBUG") as lines:
        yield lines


GIVEN, FAMILY, CAREGIVER, MRN = "Zephyrine", "Quillbottom", "Ottoline Quillbottom", "MRN-77341-QX"
BIRTH, NOTE = "2023-07-19", "Kicked the ball with the left foot"


class TestLogsAtDebug:
    async def test_a_day_of_records_leaves_no_phi_in_any_line(
        self, app: FastAPI, client: httpx.AsyncClient, debug_log: list[dict[str, object]]
    ) -> None:
        clinic = await make_clinic(app, await make_tenant(app), headers_maker(app))
        child = {
            "given_name": GIVEN,
            "family_name": FAMILY,
            "birth_date": BIRTH,
            "sex": "female",
            "external_id": MRN,
            "status": "active",
            "caregivers": [{"name": CAREGIVER, "relationship": "mother"}],
        }
        h = clinic.headers
        created = await client.post("/v1/children", json=child, headers=h)
        assert created.status_code == 201, created.text
        child_id = created.json()["id"]
        upserted = await client.put(
            f"/v1/children/by-external-id/{MRN}", json=child, headers={**h, "If-Match": '"1"'}
        )
        assert upserted.status_code == 200, upserted.text
        taken = await client.post("/v1/children", json=child, headers=h)
        assert taken.status_code == 409, taken.text
        assessment = {
            "child_id": child_id,
            "assessor_id": clinic.practitioner_id,
            "instrument": "gmfm88",
            "performed_on": "2025-03-04",
            "items": {"1": 3, "2": 2},
            "notes": NOTE,
        }
        scored = await client.post("/v1/assessments", json=assessment, headers=h)
        assert scored.status_code == 201, scored.text
        session = clinic.new(notes={"subjective": NOTE})
        recorded = await client.post("/v1/session-records", json=session, headers=h)
        assert recorded.status_code == 201, recorded.text
        refused = await client.post(
            "/v1/children", json={**child, "birth_date": "19/07/2023"}, headers=h
        )
        assert refused.status_code == 422
        broken = f'{{"given_name": "{GIVEN}", "external_id": "{MRN}", '
        malformed = await client.post(
            "/v1/children", content=broken, headers={**h, "content-type": "application/json"}
        )
        assert malformed.status_code == 422
        assert debug_log
        text = "\n".join(json.dumps(line) for line in debug_log)
        for value in (GIVEN, FAMILY, CAREGIVER, MRN, BIRTH, NOTE):
            assert value not in text
        # What a request logs carries its id (the access lines, the only ones here).
        assert all("request_id" in line for line in debug_log)

    async def test_a_line_logged_while_serving_carries_the_request_id(
        self, settings: Settings, debug_log: list[dict[str, object]]
    ) -> None:
        # Redis down: the rate limit check logs a warning while it serves the request.
        down = SecretStr(f"redis://127.0.0.1:{free_port()}/0")
        app = build_test_app(settings.model_copy(update={"redis_url": down}))
        tenant = await make_tenant(app)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            response = await client.get(
                "/v1/children", headers=bearer(await mint_token(app, tenant))
            )
        await app.state.engine.dispose()
        assert response.status_code == 200
        warned = [line for line in debug_log if line["level"] == "WARNING"]
        assert [line["message"] for line in warned] == [
            "rate limit store unavailable; requests pass uncounted for a second"
        ]
        assert warned[0].get("request_id") == response.headers["x-request-id"]
