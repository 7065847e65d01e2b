"""No input is a 5xx: extreme dates, offsets and control characters in every date and string
parameter, header and top-level body field of every operation, on every database path.

The targets are read from the app's own OpenAPI document, so a new parameter or field is
covered without editing this file. Each request reaches as deep as it can: real ids in the
path, a valid body around the field under test, `If-Match: *` on changes.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BACKEND
from tests.records.conftest import headers_maker
from tests.support.clinics import Clinic
from tests.support.direct import both_paths, serve_with
from tests.support.sessions import make_clinic
from tests.support.tenants import make_tenant

_CHANGES = ("POST", "PUT", "PATCH", "DELETE")
# The operations' date and date-time values at and just past the edges of what can be stored.
EDGE_DATES = ["0001-01-01", "9999-12-31", "0000-01-01", "10000-01-01", "2024-02-30", "1-1-1"]
EDGE_DATETIMES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T05:00:00+06:00",
    "0001-01-01T00:00:00-00:01",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999+00:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59",
    "2024-06-01T12:00:00+24:00",
    "2024-06-01T12:00:00+23:59",
    "+275760-09-13T00:00:00Z",
]
NASTY_TEXT = ["\x00", "a\x00b", "\x01\x1f\x7f", "\r\n", "\u2028", "\ufeff", "%00", "\\u0000"]


@dataclass(frozen=True)
class Target:
    """One value an operation reads: where, under which name, of which kind."""

    method: str
    path: str
    location: str  # query | header | body
    name: str
    kind: str  # date | date-time | string

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.location}:{self.name} ({self.kind})"


def _kind(schema: dict[str, Any]) -> str | None:
    for alternative in schema.get("anyOf", [schema]):
        if alternative.get("type") == "string":
            fmt = alternative.get("format")
            if fmt in ("date", "date-time"):
                return str(fmt)
            if fmt is None:
                return "string"
    return None


def _targets(document: dict[str, Any]) -> list[Target]:
    components = document["components"]["schemas"]
    found: list[Target] = []
    for path, item in document["paths"].items():
        if not path.startswith(("/v1", "/oauth")):
            continue
        for method, operation in item.items():
            method = method.upper()
            for parameter in operation.get("parameters", []):
                kind = _kind(parameter["schema"])
                if parameter["in"] in ("query", "header") and kind:
                    found.append(Target(method, path, parameter["in"], parameter["name"], kind))
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                schema = media["schema"]
                if "$ref" in schema:
                    schema = components[schema["$ref"].rsplit("/", 1)[-1]]
                for name, field in schema.get("properties", {}).items():
                    if kind := _kind(field):
                        found.append(Target(method, path, "body", name, kind))
    # The middleware reads X-Request-ID alike for every route: one operation is enough.
    found.append(Target("GET", "/v1/children", "header", "X-Request-ID", "string"))
    return found


@dataclass
class World:
    """A clinic with a row of each kind the paths name, and a token holding every scope."""

    clinic: Clinic
    ids: dict[str, str]

    def url(self, path: str) -> str:
        return re.sub(r"\{([^}]+)\}", lambda m: self.ids.get(m.group(1), str(uuid.uuid4())), path)

    def base_body(self, target: Target) -> dict[str, Any]:
        if (target.method, target.path) == ("POST", "/v1/session-records"):
            return self.clinic.new()
        if (target.method, target.path) == ("POST", "/v1/children"):
            return {
                "given_name": "A",
                "family_name": "B",
                "birth_date": "2024-01-01",
                "sex": "male",
            }
        return {}


@pytest.fixture
async def world(app: FastAPI, client: httpx.AsyncClient) -> World:
    tenant = await make_tenant(app)
    clinic = await make_clinic(app, tenant, headers_maker(app))
    record = await client.post("/v1/session-records", json=clinic.new(), headers=clinic.headers)
    assert record.status_code == 201, record.text
    prescriptions = await client.get(
        "/v1/prescriptions", params={"child_id": clinic.child_id}, headers=clinic.headers
    )
    ids = {
        "child_id": clinic.child_id,
        "practitioner_id": clinic.practitioner_id,
        "exercise_id": clinic.exercise_ids[0],
        "record_id": record.json()["id"],
        "prescription_id": prescriptions.json()["data"][0]["id"],
        "client_id": str(tenant.client_id),
        "external_id": "MRN-EXTREMES",
    }
    return World(clinic, ids)


@pytest.fixture(params=["direct", "session"] if BACKEND == "postgres" else ["session"])
async def db_path(request: pytest.FixtureRequest, app: FastAPI) -> AsyncIterator[str]:
    """Both database paths on PostgreSQL: the one-statement path and the ORM session path."""
    saved = app.state.direct
    if request.param == "session":
        serve_with(app, None)
    else:
        assert saved is not None
    try:
        yield request.param
    finally:
        serve_with(app, saved)


async def _send(client: httpx.AsyncClient, world: World, target: Target, value: str) -> str | None:
    """The request's failure (a 5xx), or None."""
    headers = dict(world.clinic.headers)
    params: dict[str, str] = {}
    body = world.base_body(target)
    if target.method in _CHANGES:
        headers["If-Match"] = "*"
    if target.location == "query":
        params[target.name] = value
    elif target.location == "header":
        headers[target.name] = value
    else:
        body[target.name] = value
    content = None
    if target.method in ("POST", "PUT", "PATCH") and not target.path.startswith("/oauth"):
        content = json.dumps(body).encode()  # ASCII: lone surrogates travel escaped
        headers["Content-Type"] = "application/json"
    response = await client.request(
        target.method, world.url(target.path), params=params, headers=headers, content=content
    )
    if response.status_code >= 500:
        return f"{target} = {value!r}: {response.status_code}"
    return None


def _sendable(target: Target, value: str) -> str:
    # A URL or header carries no lone surrogate (the client cannot encode one), a header
    # nothing beyond ASCII; the body carries anything, escaped.
    if target.location == "body":
        return value
    value = value.encode("utf-8", "ignore").decode()
    return value.encode("ascii", "ignore").decode() if target.location == "header" else value


def _app_targets(app: FastAPI) -> list[Target]:
    found = _targets(app.openapi())
    kinds = {target.kind for target in found}
    assert kinds == {"date", "date-time", "string"}, kinds
    assert len(found) > 80, "the walker found too few targets"
    return found


# One value past each end per kind for the sweeps (they send one request per target and
# value, on both paths: about 25 ms each); the property test below draws from all of them.
SWEEP = {
    "date": ["0001-01-01", "9999-12-31"],
    "date-time": ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-01:00"],
    "string": ["a\x00b"],
}


async def test_every_date_target_at_the_edges(
    app: FastAPI, client: httpx.AsyncClient, world: World, db_path: str
) -> None:
    """Every date and date-time parameter and body field, past both ends: a sweep."""
    failures = [
        await _send(client, world, target, value)
        for target in _app_targets(app)
        if target.kind != "string"
        for value in SWEEP[target.kind]
    ]
    failed = [failure for failure in failures if failure]
    assert not failed, "\n".join(failed)


async def test_every_string_target_with_a_nul(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    """Every string parameter, header and body field, with a NUL: refused at the edge, before
    either database path (so one path is enough)."""
    failures = [
        await _send(client, world, target, value)
        for target in _app_targets(app)
        if target.kind == "string"
        for value in SWEEP["string"]
    ]
    failed = [failure for failure in failures if failure]
    assert not failed, "\n".join(failed)


_OFFSETS = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
).map(lambda delta: timezone(timedelta(minutes=delta // timedelta(minutes=1))))
_NEAR_EDGES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(1, 1, 2)),
    st.datetimes(min_value=datetime(9999, 12, 30), max_value=datetime.max),
    st.datetimes(),
)
_DATETIMES = st.one_of(
    st.builds(lambda moment, tz: moment.replace(tzinfo=tz).isoformat(), _NEAR_EDGES, _OFFSETS),
    _NEAR_EDGES.map(datetime.isoformat),
    st.sampled_from(EDGE_DATETIMES),
)
_DATES = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(1, 2, 1)).map(date.isoformat),
    st.dates(min_value=date(9999, 11, 1)).map(date.isoformat),
    st.dates().map(date.isoformat),
    st.sampled_from(EDGE_DATES),
)
_TEXT = st.one_of(
    st.text(st.characters(max_codepoint=0x9F), max_size=12),
    st.text(st.characters(categories=["Cc", "Cs", "Zl", "Zp", "Cf"]), min_size=1, max_size=6),
    st.sampled_from(NASTY_TEXT),
)
_BY_KIND = {"date": _DATES, "date-time": _DATETIMES, "string": _TEXT}


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_input_is_a_server_error(
    app: FastAPI, client: httpx.AsyncClient, world: World, db_path: str, data: st.DataObject
) -> None:
    """Random extremes, offsets and control characters, any kind at any target."""
    target = data.draw(st.sampled_from(_app_targets(app)), label="target")
    value = data.draw(st.one_of(_BY_KIND[target.kind], _TEXT, _DATES, _DATETIMES), label="value")
    assert await _send(client, world, target, _sendable(target, value)) is None


def _errors(response: httpx.Response) -> list[tuple[str, str, str]]:
    assert response.status_code == 422, response.text
    return [(e["location"], e["pointer"], e["code"]) for e in response.json()["errors"]]


class TestRefusals:
    """What the sweeps prove is not a 5xx is a 422 naming the field."""

    async def test_an_offset_past_the_ends_names_the_parameter(
        self, client: httpx.AsyncClient, world: World, db_path: str
    ) -> None:
        for url, name, value in (
            ("/v1/children", "updated_since", "0001-01-01T00:00:00+14:00"),
            ("/v1/session-records", "to", "9999-12-31T23:59:59-01:00"),
            ("/v1/audit-events", "from", "0001-01-01T05:00:00+06:00"),
        ):
            response = await client.get(url, params={name: value}, headers=world.clinic.headers)
            assert _errors(response) == [("query", f"#/{name}", "datetime_out_of_range")]

    async def test_a_start_past_year_one_names_the_body_field(
        self, client: httpx.AsyncClient, world: World, db_path: str
    ) -> None:
        body = world.clinic.new(started_at="0001-01-01T05:00:00+06:00")
        response = await client.post("/v1/session-records", json=body, headers=world.clinic.headers)
        assert _errors(response) == [("body", "#/started_at", "datetime_out_of_range")]

    async def test_the_edges_themselves_are_accepted(
        self, client: httpx.AsyncClient, world: World, db_path: str
    ) -> None:
        for value in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00"):
            response = await client.get(
                "/v1/children", params={"updated_since": value}, headers=world.clinic.headers
            )
            assert response.status_code == 200, (value, response.text)

    async def test_a_report_end_with_no_day_before_it_or_centuries_ahead_is_refused(
        self, client: httpx.AsyncClient, world: World, db_path: str
    ) -> None:
        for value in ("0001-01-01", "9999-12-31"):
            response = await client.get(
                f"/v1/children/{world.ids['child_id']}/progress",
                params={"to": value},
                headers=world.clinic.headers,
            )
            assert _errors(response) == [("query", "#/to", "date_out_of_range")]

    async def test_a_number_is_not_a_date(
        self, client: httpx.AsyncClient, world: World, db_path: str
    ) -> None:
        # pydantic would read each of these as a Unix time (1970-01-01 and the like).
        for name, value in (
            ("birth_date_to", "-3.1282327242031517e-302"),
            ("birth_date_from", "6e3"),
            ("updated_since", "1.5"),
            ("updated_since", " 12"),
        ):
            response = await client.get(
                "/v1/children", params={name: value}, headers=world.clinic.headers
            )
            assert _errors(response) == [("query", f"#/{name}", "value_error")], value

    async def test_a_body_not_in_utf8_is_refused_and_stores_nothing(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        # JSON between systems is UTF-8 (RFC 8259 §8.1). A UTF-16 or UTF-32 body would parse
        # (the parser detects them), and its escaped NUL would then reach the database.
        headers = {**world.clinic.headers, "Content-Type": "application/json"}
        before = await client.get("/v1/practitioners", headers=world.clinic.headers)
        for name in ("Ana\\u0000Ruiz", "Ana Ruiz"):
            text = '{"name": "' + name + '", "discipline": "PT"}'
            for encoding in ("utf-16-le", "utf-16-be", "utf-32-le"):
                response = await client.post(
                    "/v1/practitioners", content=text.encode(encoding), headers=headers
                )
                assert _errors(response) == [("body", "#", "json_invalid")], (name, encoding)
        after = await client.get("/v1/practitioners", headers=world.clinic.headers)
        assert after.json()["data"] == before.json()["data"]

    async def test_a_nul_in_a_stored_header_names_the_header(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        response = await client.post(
            "/v1/session-records",
            json=world.clinic.new(),
            headers={**world.clinic.headers, "Idempotency-Key": "key\x00"},
        )
        assert _errors(response) == [("header", "#/Idempotency-Key", "string_unstorable")]


@pytest.mark.postgres_only
async def test_an_instant_without_offset_is_utc_on_both_paths(
    app: FastAPI, client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The driver reads a naive datetime in the process's local zone; the ORM path in UTC.
    monkeypatch.setenv("TZ", "Pacific/Honolulu")  # UTC-10
    time.tzset()
    try:
        an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None)
        url = f"/v1/children?updated_since={an_hour_ago.isoformat()}"
        direct, session = await both_paths(app, client, url, world.clinic.headers)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert direct.status_code == session.status_code == 200
    direct_ids = {row["id"] for row in direct.json()["data"]}
    assert world.ids["child_id"] in direct_ids
    assert direct_ids == {row["id"] for row in session.json()["data"]}
