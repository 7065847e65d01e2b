"""Every route of the app, walked with clinic B's token holding every scope against clinic A's
rows: A's ids answer exactly as ids of no row do (404, the same body), A's rows are unchanged,
lists filtered by A's ids show none of A's rows, and B's writes naming A's rows are refused as
writes naming no row. The routes are read from the app: a new route fails the walk until it is
classified here. Every test runs as the service's role (row-level security under the
application's filter) and as the tables' owner, whom row-level security does not bind, on both
ways of serving the hot operations (one statement, and the session path): the application's own
filter (`Tenant`, `owned_by`) must hold alone. That owner run on the session path is what SQLite
runs (no row-level security, no one-statement path), so the sweep runs on PostgreSQL only: on
SQLite it took 34 s of the suite to repeat it."""

from __future__ import annotations

import copy
import itertools
import re
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from dmi_api.config import Settings
from dmi_api.db import create_engine
from dmi_api.direct.bound_db import DirectDb, SharedConnectionSource
from dmi_api.models.webhooks import WebhookDelivery
from dmi_api.tenant_scope import Tenant, bind_settings
from tests.conftest import Database, reset_app_state, rolled_back, shared_app
from tests.exports.rich_clinic import Api, RichClinic, build, delete_some
from tests.exports.support import ASYNC, relative, run_export
from tests.support.direct import serve_with
from tests.support.records import seed_child, seed_exercise, seed_practitioner
from tests.support.tenants import TenantClient, add_client, bearer, make_tenant, mint_token

pytestmark = pytest.mark.postgres_only
FHIR_JSON = "application/fhir+json"
# The service's role, and the owner on both ways of serving the hot operations (one statement,
# and the session path SQLite serves them on).
WALLS = ["row_level_security", "application", "application_session_path"]
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/oauth/token"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/fhir/R4/metadata"),
    ("GET", "/fhir/R4/.well-known/smart-configuration"),
}
# Operations of the caller's own clinic that name no row: checked by the tests named.
OWN_CLINIC = {
    ("GET", "/v1/clinic-settings"): "test_lists_and_searches_show_none_of_a_rows",
    ("PUT", "/v1/clinic-settings"): "test_b_settings_leave_a_unchanged",
    ("POST", "/v1/exports"): "test_b_exports_hold_none_of_a_rows",
    ("GET", "/fhir/R4/$export"): "test_b_exports_hold_none_of_a_rows",
    ("GET", "/fhir/R4/Patient/$export"): "test_b_exports_hold_none_of_a_rows",
    ("POST", "/v1/clients"): "creates nothing referencing a row",
    ("POST", "/v1/webhook-endpoints"): "creates nothing referencing a row",
    ("POST", "/v1/exercises"): "creates nothing referencing a row",
}
# Creates whose body names other rows: test_writes_naming_a_rows_are_refused.
CREATES = {
    "/v1/children",
    "/v1/practitioners",
    "/v1/session-records",
    "/v1/session-records/batch",
    "/v1/assessments",
    "/v1/prescriptions",
    "/v1/milestones",
}
# A's ids by path parameter (the FHIR `id` by resource type, the export files by route).
FHIR_TYPES = (
    "Patient",
    "RelatedPerson",
    "Practitioner",
    "Condition",
    "Observation",
    "QuestionnaireResponse",
    "CarePlan",
    "ServiceRequest",
    "Encounter",
    "Procedure",
)
START = "2025-03-04T09:00:00+01:00"


@pytest.fixture(scope="module")
async def owner_engine(database: Database, settings: Settings) -> AsyncIterator[AsyncEngine]:
    """PostgreSQL: the tables' owner, whom row-level security does not bind."""
    engine = create_engine(
        settings.model_copy(update={"database_url": SecretStr(database.owner_url)})
    )
    yield engine
    await engine.dispose()


@dataclass
class ClinicA:
    made: RichClinic
    headers: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)  # path parameter (or route) → A's id
    every_id: set[str] = field(default_factory=set)
    gone: dict[str, str] = field(default_factory=dict)  # path of a deleted row's GET → its id


def operations(app: FastAPI) -> list[tuple[str, str]]:
    schema = app.openapi()
    found = [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        if not path.startswith("/_probe")
        for method in item
    ]
    assert len(found) > 100, "the walker found too few routes"
    return found


def _ids(value: Any) -> set[str]:
    """Every UUID in a JSON document."""
    text = str(value)
    return set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text))


async def _fhir_export(client: httpx.AsyncClient, app: FastAPI, tenant: TenantClient) -> str:
    headers = {**bearer(await mint_token(app, tenant)), **ASYNC}
    response = await client.get("/fhir/R4/$export", headers=headers)
    assert response.status_code == 202, response.text
    location: str = response.headers["Content-Location"]
    assert await run_export(app, tenant.clinic_id, location) == "completed"
    return location


async def make_clinic_a(app: FastAPI, client: httpx.AsyncClient, tenant: TenantClient) -> ClinicA:
    headers = bearer(await mint_token(app, tenant))
    made = await build(Api(client, headers))
    a = ClinicA(made, headers)
    a.ids |= {
        "child_id": made.children["mia"]["id"],
        "record_id": made.sessions["signed"]["id"],
        "prescription_id": made.prescriptions["home"]["id"],
        "assessment_id": made.assessments["gmfm88"]["id"],
        "milestone_id": made.milestones["achieved"]["id"],
        "exercise_id": made.exercises["sit"]["id"],
        "practitioner_id": made.practitioners["ana"]["id"],
        "client_id": str(tenant.client_id),
        "external_id": made.children["mia"]["external_id"],
    }
    # An intensive block's (another prescription's summary is 409 for its own clinic).
    block = "prescription_id:/v1/prescriptions/{prescription_id}/block-summary"
    a.ids[block] = made.prescriptions["draft"]["id"]
    endpoint = await Api(client, headers).post(
        "/v1/webhook-endpoints",
        {"url": "https://93.184.216.34/hook", "event_types": ["child.created"]},
    )
    a.ids["endpoint_id"] = endpoint["id"]
    event_id = uuid.uuid4()
    delivery = WebhookDelivery(
        clinic_id=tenant.clinic_id,
        endpoint_id=uuid.UUID(endpoint["id"]),
        event_id=event_id,
        event_type="child.created",
        payload={"id": str(event_id), "type": "child.created"},
    )
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=tenant.clinic_id)
        Tenant(db, tenant.clinic_id).add(delivery)
        await db.commit()
    a.ids["delivery_id"] = str(delivery.id)
    # A's exports: `/v1` and FHIR, finished, with their files.
    started = await Api(client, headers).post("/v1/exports", {}, status=202)
    await run_export(app, tenant.clinic_id, f"/v1/exports/{started['id']}")
    done = (await client.get(f"/v1/exports/{started['id']}", headers=headers)).json()
    files = "/v1/exports/{id}/files/{name}"
    a.ids["/v1/exports/{id}"] = a.ids[f"id:{files}"] = started["id"]
    a.ids[f"name:{files}"] = done["output"][0]["url"].rsplit("/", 1)[1]
    location = await _fhir_export(client, app, tenant)
    a.ids["/fhir/R4/bulk-status/{id}"] = location.rsplit("/", 1)[1]
    manifest = (await client.get(relative(location), headers=headers)).json()
    file_url = relative(manifest["output"][0]["url"])
    a.ids["id:/fhir/R4/bulk-files/{id}/{name}"] = file_url.rsplit("/", 2)[1]
    a.ids["name:/fhir/R4/bulk-files/{id}/{name}"] = file_url.rsplit("/", 1)[1]
    for kind in FHIR_TYPES:
        bundle = (await client.get(f"/fhir/R4/{kind}", headers=headers)).json()
        assert bundle["entry"], kind
        a.ids[f"/fhir/R4/{kind}/{{id}}"] = bundle["entry"][0]["resource"]["id"]
    for rows in (made.children, made.practitioners, made.exercises, made.prescriptions):
        a.every_id |= _ids(rows)
    for rows in (made.sessions, made.assessments, made.milestones):
        a.every_id |= _ids(rows)
    a.every_id |= {value for value in a.ids.values() if _ids(value)}
    # Tombstones: a child, a session record, an assessment, a milestone (lists that sync
    # with `updated_since` show them to their own clinic).
    gone = await delete_some(Api(client, headers), made)
    a.gone = {
        "/v1/children/{child_id}": gone.child["id"],
        "/v1/session-records/{record_id}": gone.session["id"],
        "/v1/assessments/{assessment_id}": gone.assessment["id"],
        "/v1/milestones/{milestone_id}": gone.milestone["id"],
    }
    return a


@dataclass(frozen=True)
class ClinicB:
    headers: dict[str, str]
    child_id: str
    practitioner_id: str
    exercise_id: str


async def make_clinic_b(app: FastAPI, tenant: TenantClient) -> ClinicB:
    child = await seed_child(app, tenant, given_name="Bo", family_name="Other")
    practitioner = await seed_practitioner(app, tenant, name="Bea Other")
    exercise = await seed_exercise(app, tenant, code="B-SIT")
    headers = bearer(await mint_token(app, tenant))
    return ClinicB(headers, str(child.id), str(practitioner.id), str(exercise.id))


@dataclass(frozen=True)
class Wall:
    """Clinics A and B as built once for one wall, on the connection they were built on."""

    name: str
    connection: AsyncConnection
    tenant_a: TenantClient
    tenant_b: TenantClient
    a: ClinicA
    b: ClinicB


def _bound(app: FastAPI, connection: AsyncConnection) -> FastAPI:
    """The app with its sessions and direct reads on `connection` (as tests/conftest.py's `app`
    fixture binds them to a test's)."""
    sessionmaker = async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )

    async def driver_connection() -> Any:
        raw = await connection.get_raw_connection()
        return raw.driver_connection

    return reset_app_state(app, sessionmaker, DirectDb(SharedConnectionSource(driver_connection)))


@pytest.fixture(scope="module", params=WALLS)
async def wall(
    request: pytest.FixtureRequest,
    settings: Settings,
    engine: AsyncEngine,
    owner_engine: AsyncEngine,
    shared_apps: dict[str, FastAPI],
) -> AsyncIterator[Wall]:
    """Clinics A and B, built once per wall (a rich clinic through the API is a second of CPU;
    built for every test, they were half the module's): on one connection, as the service's
    role or as the owner (the application's filter alone), inside a transaction rolled back
    after the wall's last test. Each test runs in a savepoint of it rolled back after the test
    (`db_connection`), with a copy of A and B (`a`, `b`): every test sees them exactly as built,
    whatever ran before. The tests are grouped by wall (a module-scoped parameter)."""
    name: str = request.param
    alone = name.startswith("application")
    async with rolled_back(owner_engine if alone else engine) as connection:
        app = _bound(shared_app(shared_apps, "rollback", settings), connection)
        direct = app.state.direct
        if name == "application_session_path":  # built as the wall serves, as a test would
            serve_with(app, None)
        try:
            tenant_a, tenant_b = await make_tenant(app), await make_tenant(app)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                a = await make_clinic_a(app, c, tenant_a)
            b = await make_clinic_b(app, tenant_b)
        finally:
            serve_with(app, direct)
        yield Wall(name, connection, tenant_a, tenant_b, a, b)


@pytest.fixture
async def db_connection(wall: Wall) -> AsyncIterator[AsyncConnection]:
    """The wall's connection (see tests/conftest.py), the test inside a savepoint rolled back
    after it: what the test wrote is gone before the next one starts."""
    savepoint = await wall.connection.begin_nested()
    try:
        yield wall.connection
    finally:
        await savepoint.rollback()


@pytest.fixture
def app(app: FastAPI, wall: Wall) -> Iterator[FastAPI]:
    """tests/conftest.py's app, on the wall's connection, serving the wall's way."""
    direct = app.state.direct
    if wall.name == "application_session_path":
        serve_with(app, None)
    try:
        yield app
    finally:
        serve_with(app, direct)


@pytest.fixture
def tenant_a(wall: Wall) -> TenantClient:
    return wall.tenant_a


@pytest.fixture
def tenant_b(wall: Wall) -> TenantClient:
    return wall.tenant_b


@pytest.fixture
async def a(wall: Wall, app: FastAPI) -> ClinicA:
    """A as built (a copy: a test cannot change what the next one sees), with a token of the
    test's."""
    return replace(copy.deepcopy(wall.a), headers=bearer(await mint_token(app, wall.tenant_a)))


@pytest.fixture
async def b(wall: Wall, app: FastAPI) -> ClinicB:
    return replace(wall.b, headers=bearer(await mint_token(app, wall.tenant_b)))


def _value(a: ClinicA, path: str, param: str) -> str:
    for key in (f"{param}:{path}", param):
        if key in a.ids:
            return a.ids[key]
    if param == "id":  # a FHIR read, an export's status
        return a.ids[path]
    raise AssertionError(f"no id of A's for {{{param}}} in {path}: classify it")


def concrete(a: ClinicA, path: str, *, nobody: bool = False) -> tuple[str, list[str]]:
    """The path with A's ids, or (nobody) with ids of no row; and the values put in."""
    values: list[str] = []

    def put(match: re.Match[str]) -> str:
        param = match.group(1)
        value = _value(a, path, param)
        if nobody and param != "name":
            value = f"X-{uuid.uuid4()}" if param == "external_id" else str(uuid.uuid4())
        values.append(value)
        return value

    return re.sub(r"\{([^}]+)\}", put, path), values


def bodies(b: ClinicB) -> dict[tuple[str, str], dict[str, Any]]:
    """A body the route would accept for a row of B's: the row, not the body, is refused."""
    child = "/v1/children/{child_id}"
    record = "/v1/session-records/{record_id}"
    return {
        ("PATCH", child): {"given_name": "Eve"},
        ("POST", f"{child}/session-records"): {
            "type": "home_practice",
            "setting": "home",
            "started_at": START,
            "duration_minutes": 20,
        },
        ("POST", f"{child}/assessments"): {
            "instrument": "gmfcs",
            "performed_on": "2025-01-01",
            "status": "final",
            "entered": {"level": "II"},
        },
        ("POST", f"{child}/prescriptions"): {
            "prescriber_id": b.practitioner_id,
            "setting": "home",
            "period_start": "2025-01-01",
            "items": [{"exercise_id": b.exercise_id, "repetitions": 3}],
        },
        ("POST", f"{child}/milestones"): {"milestone": "rolling", "achieved_on": "2025-01-01"},
        ("PATCH", record): {"duration_minutes": 30},
        ("POST", f"{record}/sign"): {"signed_by": b.practitioner_id},
        ("POST", f"{record}/amendments"): {
            "reason": "typo",
            "text": "fixed",
            "author_id": b.practitioner_id,
        },
        ("PATCH", "/v1/assessments/{assessment_id}"): {"notes": "x"},
        ("PATCH", "/v1/prescriptions/{prescription_id}"): {"goal": "x"},
        ("PATCH", "/v1/milestones/{milestone_id}"): {"note": "x"},
        ("PATCH", "/v1/exercises/{exercise_id}"): {"name": "x"},
        ("PATCH", "/v1/practitioners/{practitioner_id}"): {"name": "x"},
        ("PATCH", "/v1/clients/{client_id}"): {"name": "x"},
        ("PATCH", "/v1/webhook-endpoints/{endpoint_id}"): {"description": "x"},
        ("POST", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret"): {},
    }


def normalized(response: httpx.Response, values: list[str]) -> Any:
    """The answer apart from its request id and the ids it was asked about."""
    text = response.text
    for value in values:
        text = text.replace(value, "{id}")
    text = re.sub(r'"request_id":\s*"[^"]*"', "", text)
    text = re.sub(r"[0-9a-f]{32}|req_[A-Za-z0-9_-]+", "{request}", text)
    text = re.sub(r'"next_cursor":\s*"[^"]*"', "", text)  # signed with the filter's value
    headers = {
        k: v
        for k, v in response.headers.items()
        if k.lower() not in {"x-request-id", "date", "ratelimit"}
    }
    for value in values:
        headers = {k: v.replace(value, "{id}") for k, v in headers.items()}
    return response.status_code, text, sorted(headers.items())


async def snapshot(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> Any:
    response = await client.get(path, headers=headers)
    return response.status_code, response.headers.get("etag"), response.content


def _order(op: tuple[str, str]) -> int:
    return {"GET": 0, "PATCH": 1, "PUT": 1, "POST": 2, "DELETE": 3}[op[0]]


async def test_a_rows_answer_as_no_row_does_and_stay_unchanged(
    app: FastAPI, client: httpx.AsyncClient, a: ClinicA, b: ClinicB, tenant_b: TenantClient
) -> None:
    await sweep(app, client, a, b)
    await assert_a_audit_holds_nothing_of_b(client, a, tenant_b)


# Three more views of A's ids, swept together: once, with the application's own filter alone (the
# owner, whom row-level security does not bind), the wall the other states' code paths could miss.
@pytest.mark.parametrize("wall", ["application"], indirect=True)
async def test_a_rows_in_other_states_answer_as_no_row_does(
    app: FastAPI,
    client: httpx.AsyncClient,
    a: ClinicA,
    b: ClinicB,
    tenant_a: TenantClient,
    tenant_b: TenantClient,
) -> None:
    # Unsigned records, a draft assessment, paused, completed and discontinued prescriptions,
    # an inactive practitioner, a child on hold, an export still queued: other code paths.
    made = a.made
    queued = await Api(client, a.headers).post("/v1/exports", {}, status=202)
    other_client = bearer(await mint_token(app, await add_client(app, tenant_a)))
    started = await client.get("/fhir/R4/$export", headers={**other_client, **ASYNC})
    assert started.status_code == 202, started.text
    views: list[dict[str, str]] = [
        {
            "child_id": made.children["leo"]["id"],
            "record_id": made.sessions["home_practice"]["id"],
            "prescription_id": made.prescriptions["paused"]["id"],
            "assessment_id": made.assessments["draft"]["id"],
            "milestone_id": made.milestones["not_yet"]["id"],
            "practitioner_id": made.practitioners["dana"]["id"],
            "/v1/exports/{id}": queued["id"],
            "/fhir/R4/bulk-status/{id}": started.headers["Content-Location"].rsplit("/", 1)[1],
        },
        {
            "child_id": made.children["ivy"]["id"],
            "record_id": made.sessions["cancelled"]["id"],
            "prescription_id": made.prescriptions["completed"]["id"],
            "assessment_id": made.assessments["gmfcs"]["id"],
        },
        {
            "record_id": made.sessions["evaluation"]["id"],
            "prescription_id": made.prescriptions["discontinued"]["id"],
        },
    ]
    await sweep(app, client, a, b, views)
    await assert_a_audit_holds_nothing_of_b(client, a, tenant_b)


async def sweep(
    app: FastAPI,
    client: httpx.AsyncClient,
    a: ClinicA,
    b: ClinicB,
    views: Sequence[dict[str, str]] = ({},),
) -> None:
    """Every route with an id, as B, on A's ids and on ids of no row; once for each of `views`
    (A's ids in place of some of A's own), walked together.

    Walked together, a request is asked once: a view that leaves a route's ids as another view
    had them makes the very request that view made (the same path, headers and body), of the
    same rows (no request of B's changes any: each is refused, and A's rows and change events
    are compared once all are asked), so it would get the same answer. The answer to ids of no
    row is asked once per route and request (headers and body): it depends on B's rows and the
    route, not on which of A's rows is asked beside it, and an id of no row is as good as
    another. A's rows are read before and after all views: their versions and change events
    only grow, so a change during any view shows at the end."""
    clinics = [replace(a, ids={**a.ids, **view}) for view in views]
    schema = app.openapi()["paths"]
    by_id = sorted(
        (op for op in operations(app) if "{" in op[1] and "external_id" not in op[1]),
        key=_order,
    )
    reads = [path for method, path in by_id if method == "GET"]
    before: dict[str, Any] = {}  # A's read → its answer to A
    for path in reads:
        for clinic in clinics:
            url = concrete(clinic, path)[0]
            if url not in before:
                before[url] = await snapshot(client, url, a.headers)
    feed = await client.get("/v1/events", params={"limit": "200"}, headers=a.headers)
    unread = {url: got[0] for url, got in before.items() if got[0] not in (200, 202)}
    assert not unread, unread
    writes = bodies(b)
    leaks: list[str] = []
    asked: set[Any] = set()
    for method, path in by_id:
        declared = {p["name"] for p in schema[path][method.lower()].get("parameters", [])}
        owner = max((p for p in reads if path.startswith(p)), key=len, default=path)
        body = writes.get((method, path))
        nobody_answers: dict[Any, Any] = {}  # request without its path → normalized answer
        for clinic in clinics:
            theirs_path, theirs_values = concrete(clinic, path)
            etag = before[concrete(clinic, owner)[0]][1] if owner in reads else None
            # A read also as a conditional one, with A's current ETag: a 304 would tell.
            conditions = [{}, {"If-None-Match": etag or '"1"'}, {"If-None-Match": "*"}]
            variants = [
                (verb, condition)
                for verb in (("GET", "HEAD") if method == "GET" else (method,))
                for condition in (conditions if method == "GET" else [{}])
            ]
            for verb, condition in variants:
                headers = {**b.headers, **condition}
                if "If-Match" in declared:  # A's current version: only the clinic can refuse
                    headers["If-Match"] = etag or '"1"'
                request = (verb, tuple(sorted(headers.items())), orjson.dumps(body))
                if (theirs_path, request) in asked:
                    continue  # a view before made this very request (see above)
                asked.add((theirs_path, request))
                theirs = await client.request(verb, theirs_path, headers=headers, json=body)
                if request not in nobody_answers:
                    nobody_path, nobody_values = concrete(clinic, path, nobody=True)
                    nobody = await client.request(verb, nobody_path, headers=headers, json=body)
                    nobody_answers[request] = normalized(nobody, nobody_values)
                expected = nobody_answers[request]
                if theirs.status_code != 404:
                    leaks.append(
                        f"{verb} {theirs_path} {condition}: {theirs.status_code}"
                        f" {theirs.text[:200]}"
                    )
                elif normalized(theirs, theirs_values) != expected:
                    leaks.append(
                        f"{verb} {theirs_path}: {normalized(theirs, theirs_values)} != {expected}"
                    )
                elif path.startswith("/fhir/") and verb != "HEAD":
                    assert theirs.headers["content-type"] == FHIR_JSON, (verb, path)
                    assert theirs.json()["resourceType"] == "OperationOutcome", (verb, path)
    after = {url: await snapshot(client, url, a.headers) for url in before}
    changed = [url for url in before if after[url] != before[url]]
    # No change event of A's either (B's refused writes emit nothing anywhere).
    again = await client.get("/v1/events", params={"limit": "200"}, headers=a.headers)
    assert again.json()["data"] == feed.json()["data"]
    assert not leaks, "\n".join(leaks)
    assert not changed, changed


async def assert_a_audit_holds_nothing_of_b(
    client: httpx.AsyncClient, a: ClinicA, tenant_b: TenantClient
) -> None:
    """B's requests, refused or not, are audited in B's clinic only."""
    cursor: str | None = None
    while True:
        params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
        page = await client.get("/v1/audit-events", params=params, headers=a.headers)
        assert page.status_code == 200, page.text
        text = page.text
        assert str(tenant_b.client_id) not in text
        assert str(tenant_b.clinic_id) not in text
        cursor = page.json()["next_cursor"]
        if not cursor:
            return


async def test_every_route_is_classified(
    settings: Settings, shared_apps: dict[str, FastAPI]
) -> None:
    # Once, on no wall (the routes are the app's): the run's shared app, its schema built once.
    app = shared_app(shared_apps, "rollback", settings)
    for method, path in operations(app):
        if (method, path) in PUBLIC or (method, path) in OWN_CLINIC:
            continue
        if "{" in path:
            continue  # walked by test_a_rows_answer_as_no_row_does_and_stay_unchanged
        if method == "POST" and path in CREATES:
            continue
        if (method, path) in SEARCHES_BY_POST:
            continue  # walked with its list by test_lists_and_searches_show_none_of_a_rows
        if (method, path) == ("PUT", "/v1/children/by-external-id"):
            continue  # test_an_upsert_by_a_mrn_answers_as_by_no_mrn, as by the path
        assert method == "GET", f"{method} {path}: classify it"
        # A list or search: test_lists_and_searches_show_none_of_a_rows walks every one.


def filters(a: ClinicA) -> dict[str, list[str]]:
    """Each list parameter naming a row, with A's values for it."""
    mia = a.ids["child_id"]
    return {
        "child_id": [mia],
        "practitioner_id": [a.ids["practitioner_id"]],
        "resource_id": [mia, a.ids["record_id"], a.ids["endpoint_id"]],
        "client_id": [a.ids["client_id"]],
        "reference_id": [mia, a.ids["practitioner_id"]],
        "patient": [mia, f"Patient/{mia}"],
        "subject": [f"Patient/{mia}"],
        "identifier": ["MRN-1042", "P-77"],
        "external_id": ["MRN-1042", "P-77"],
        "code": ["SIT-PELVIS-01"],
        "given_name": ["Mia"],
        "family_name": ["Lopez"],
        "before": ["2099-01-01"],
        "updated_since": ["2000-01-01T00:00:00Z"],
        "_lastUpdated": ["ge2000-01-01"],
    }


# Searches whose parameters are a JSON body (kept out of URLs): walked as the lists are.
SEARCHES_BY_POST = {("POST", "/v1/children/search")}


def _asked(schema: dict[str, Any], method: str, path: str) -> tuple[set[str], set[str]]:
    """The names a list or search takes, and those it requires."""
    operation = schema["paths"][path][method.lower()]
    if method == "GET":
        parameters = operation.get("parameters", [])
        return {p["name"] for p in parameters}, {p["name"] for p in parameters if p.get("required")}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    model = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    return set(model["properties"]), set(model.get("required", []))


# Filters whose values name no row: nothing to compare the answer with.
NO_ROW_FILTERS = {"before", "updated_since", "_lastUpdated"}


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A's words that are no id: B's answers must not hold them.
A_WORDS = ("Lopez", "MRN-1042", "P-77", "Sara", "AIMS norms (test)")


def _no_row(value: str) -> str:
    """The same kind of value, naming no row."""
    if UUID.search(value):
        return UUID.sub(lambda _: str(uuid.uuid4()), value)
    return ("Z" + uuid.uuid4().hex)[: len(value)]  # as long: the same Content-Length


def _unasked(text: str, query: dict[str, str]) -> str:
    """The answer without the values it was asked about (a Bundle's `self` link repeats them)."""
    for value in query.values():
        text = text.replace(quote(value, safe=""), "").replace(value, "")
    return text


def _walk_order(op: tuple[str, str]) -> int:
    # The audit log first: afterwards it holds B's own requests, which name A's ids.
    return 0 if op[1] == "/v1/audit-events" else 1


async def test_lists_and_searches_show_none_of_a_rows(
    app: FastAPI, client: httpx.AsyncClient, a: ClinicA, b: ClinicB
) -> None:
    schema = app.openapi()
    leaks: list[str] = []
    walked = 0

    async def ask(method: str, path: str, query: dict[str, str]) -> httpx.Response:
        if method == "GET":
            return await client.get(path, params=query, headers=b.headers)
        return await client.post(path, json=query, headers=b.headers)

    for method, path in sorted(operations(app), key=_walk_order):
        searched = (method, path) in SEARCHES_BY_POST
        if not searched and (method != "GET" or "{" in path or (method, path) in PUBLIC):
            continue
        if "$export" in path:
            continue
        declared, required = _asked(schema, method, path)
        asks: list[tuple[dict[str, str], dict[str, str]]] = []
        if not required:
            asks.append(({}, {}))
        if path.startswith("/fhir/R4/"):  # the search's own type's id
            asks.append(
                ({"_id": a.ids[f"{path}/{{id}}"]}, {"_id": _no_row(a.ids[f"{path}/{{id}}"])})
            )
        for name, values in filters(a).items():
            if name in declared:
                asks += [({name: value}, {name: _no_row(value)}) for value in values]
        for theirs_query, nobody_query in asks:
            walked += 1
            theirs = await ask(method, path, theirs_query)
            text = _unasked(theirs.text, theirs_query)
            seen = (_ids(text) & a.every_id) | {word for word in A_WORDS if word in text}
            if theirs.status_code not in (200, 404) or seen:
                leaks.append(f"{path} {theirs_query}: {theirs.status_code} {sorted(seen)}")
            if not theirs_query or NO_ROW_FILTERS & set(theirs_query):
                continue  # a day names no row: nothing to compare with
            nobody = await ask(method, path, nobody_query)
            values = [*theirs_query.values(), *nobody_query.values()]
            values += [quote(value, safe="") for value in values]
            if normalized(theirs, values) != normalized(nobody, values):
                leaks.append(f"{path} {theirs_query}: {theirs.text[:300]} != {nobody.text[:300]}")
    assert walked > 40
    assert not leaks, "\n".join(leaks)


def _swap(body: Any, theirs: set[str]) -> Any:
    """The body with each of A's ids replaced by an id of no row."""
    text = orjson.dumps(body).decode()
    for value in theirs:
        text = text.replace(value, str(uuid.uuid4()))
    return orjson.loads(text)


def refused_writes(a: ClinicA, b: ClinicB, rows: dict[str, str]) -> list[tuple[str, str, Any]]:
    """B's writes each naming one of A's rows (the rest of the body B's own)."""
    mia, ana = a.ids["child_id"], a.ids["practitioner_id"]
    sit, item = a.ids["exercise_id"], a.made.prescriptions["home"]["items"][0]["id"]
    record = {
        "child_id": b.child_id,
        "type": "home_practice",
        "setting": "home",
        "started_at": START,
        "duration_minutes": 20,
    }
    mine = {"exercise_id": b.exercise_id, "repetitions": 3}
    prescription = {
        "child_id": b.child_id,
        "prescriber_id": b.practitioner_id,
        "setting": "home",
        "period_start": "2025-01-01",
        "items": [mine],
    }
    assessment = {
        "child_id": b.child_id,
        "instrument": "gmfcs",
        "performed_on": "2025-01-01",
        "status": "final",
        "entered": {"level": "II"},
    }
    records = "/v1/session-records"
    return [
        ("POST", records, {**record, "child_id": mia}),
        ("POST", records, {**record, "practitioner_id": ana}),
        ("POST", records, {**record, "exercises": [{**mine, "exercise_id": sit}]}),
        ("POST", records, {**record, "exercises": [{**mine, "prescription_item_id": item}]}),
        ("POST", f"/v1/children/{b.child_id}/session-records", {"practitioner_id": ana, **record}),
        ("PATCH", f"{records}/{rows['record']}", {"practitioner_id": ana}),
        ("PATCH", f"{records}/{rows['record']}", {"exercises": [{**mine, "exercise_id": sit}]}),
        (
            "PATCH",
            f"{records}/{rows['record']}",
            {"exercises": [{**mine, "prescription_item_id": item}]},
        ),
        ("POST", f"{records}/{rows['record']}/sign", {"signed_by": ana}),
        (
            "POST",
            f"{records}/{rows['signed']}/amendments",
            {"reason": "late_entry", "text": "x", "author_id": ana},
        ),
        ("PATCH", f"/v1/assessments/{rows['assessment']}", {"assessor_id": ana}),
        ("PATCH", f"/v1/prescriptions/{rows['prescription']}", {"prescriber_id": ana}),
        (
            "PATCH",
            f"/v1/prescriptions/{rows['prescription']}",
            {"items": [{**mine, "exercise_id": sit}]},
        ),
        (
            "PATCH",
            f"/v1/prescriptions/{rows['prescription']}",
            {"items": [{**mine, "id": item}]},
        ),
        ("POST", "/v1/assessments", {**assessment, "child_id": mia}),
        ("POST", "/v1/assessments", {**assessment, "assessor_id": ana}),
        ("POST", "/v1/prescriptions", {**prescription, "child_id": mia}),
        ("POST", "/v1/prescriptions", {**prescription, "prescriber_id": ana}),
        ("POST", "/v1/prescriptions", {**prescription, "items": [{**mine, "exercise_id": sit}]}),
        ("POST", "/v1/milestones", {"child_id": mia, "milestone": "rolling"}),
        (
            "POST",
            f"{records}/batch",
            {
                "items": [
                    {"idempotency_key": f"k-{n}", "record": {**record, **extra}}
                    for n, extra in enumerate(({"child_id": mia}, {"practitioner_id": ana}))
                ]
            },
        ),
    ]


async def make_b_rows(client: httpx.AsyncClient, b: ClinicB) -> dict[str, str]:
    """B's own rows, each at version 1 (the signed record at 2), for changes naming A's."""
    api = Api(client, b.headers)
    record = {
        "child_id": b.child_id,
        "practitioner_id": b.practitioner_id,
        "type": "dmi",
        "setting": "clinic",
        "started_at": START,
        "duration_minutes": 20,
    }
    rows = {"record": (await api.post("/v1/session-records", record))["id"]}
    signed = await api.post("/v1/session-records", {**record, "started_at": "2025-03-05T09:00Z"})
    await api.post_on(
        f"/v1/session-records/{signed['id']}/sign", signed, {"signed_by": b.practitioner_id}
    )
    rows["signed"] = signed["id"]
    assessment = {
        "child_id": b.child_id,
        "instrument": "gmfcs",
        "performed_on": "2025-01-01",
        "status": "final",
        "entered": {"level": "II"},
    }
    rows["assessment"] = (await api.post("/v1/assessments", assessment))["id"]
    prescription = {
        "child_id": b.child_id,
        "prescriber_id": b.practitioner_id,
        "setting": "home",
        "period_start": "2025-01-01",
        "items": [{"exercise_id": b.exercise_id, "repetitions": 3}],
    }
    rows["prescription"] = (await api.post("/v1/prescriptions", prescription))["id"]
    return rows


async def _lists(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    paths = [f"/v1/{name}" for name in ("children", "practitioners", "exercises", "events")]
    paths += ["/v1/session-records", "/v1/assessments", "/v1/prescriptions", "/v1/milestones"]
    return [(await client.get(path, headers=headers)).json()["data"] for path in paths]


async def test_writes_naming_a_rows_are_refused_as_naming_no_row(
    client: httpx.AsyncClient, a: ClinicA, b: ClinicB, tenant_b: TenantClient
) -> None:
    rows = await make_b_rows(client, b)
    a_before, b_before = await _lists(client, a.headers), await _lists(client, b.headers)
    leaks: list[str] = []
    for method, path, body in refused_writes(a, b, rows):
        changes = method == "PATCH" or path.endswith("/sign")
        headers = {**b.headers, "If-Match": '"1"'} if changes else b.headers
        theirs = await client.request(method, path, json=body, headers=headers)
        nobody = await client.request(method, path, json=_swap(body, a.every_id), headers=headers)
        values = sorted(_ids(theirs.text) | _ids(nobody.text))
        described = f"{method} {path} {sorted(_ids(body) & a.every_id)}"
        if path.endswith("/batch"):
            statuses = [item["status"] for item in theirs.json()["results"]]
            if theirs.status_code != 200 or statuses != [422, 422]:
                leaks.append(f"{described}: {theirs.status_code} {statuses}")
        elif theirs.status_code != 422 or theirs.json()["code"] != "validation_error":
            leaks.append(f"{described}: {theirs.status_code} {theirs.text[:300]}")
        elif "reference_not_found" not in {e["code"] for e in theirs.json()["errors"]}:
            leaks.append(f"{described}: {theirs.text[:300]}")
        if normalized(theirs, values) != normalized(nobody, values):
            leaks.append(f"{described}: {theirs.text[:300]} != {nobody.text[:300]}")
    assert not leaks, "\n".join(leaks)
    await assert_a_audit_holds_nothing_of_b(client, a, tenant_b)
    assert await _lists(client, a.headers) == a_before
    assert await _lists(client, b.headers) == b_before
    # A batch mixing B's own record with one for A's child: B's alone is created.
    record: dict[str, Any] = {"type": "home_practice", "setting": "home", "started_at": START}
    record["duration_minutes"] = 20
    mixed = {
        "items": [
            {"idempotency_key": "mine", "record": {**record, "child_id": b.child_id}},
            {"idempotency_key": "theirs", "record": {**record, "child_id": a.ids["child_id"]}},
        ]
    }
    batch = await client.post("/v1/session-records/batch", json=mixed, headers=b.headers)
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert [r["status"] for r in results] == [201, 422]
    assert results[1]["problem"]["errors"][0]["code"] == "reference_not_found"
    assert await _lists(client, a.headers) == a_before
    records = (await client.get("/v1/session-records", headers=b.headers)).json()["data"]
    assert {r["id"] for r in records} == {r["id"] for r in b_before[4]} | {results[0]["id"]}


async def test_a_unique_values_are_free_in_b(
    client: httpx.AsyncClient, a: ClinicA, b: ClinicB
) -> None:
    # An MRN, a practitioner's id, an exercise code, a webhook URL, an Idempotency-Key taken
    # in A are B's to use: a 409 (or a replay) would tell they exist.
    mia = a.made.children["mia"]
    before = await client.get(f"/v1/children/{mia['id']}", headers=a.headers)
    child = {"given_name": "Ola", "family_name": "B", "birth_date": "2024-02-02", "sex": "male"}
    child["status"] = "active"
    put = await client.put(
        f"/v1/children/by-external-id/{mia['external_id']}", json=child, headers=b.headers
    )
    assert put.status_code == 201, put.text
    assert put.json()["id"] != mia["id"]
    again = await client.post(
        "/v1/children", json={**child, "external_id": "MRN-2077"}, headers=b.headers
    )
    assert again.status_code == 201, again.text
    practitioner = {"name": "Pia B", "discipline": "PT", "external_id": "P-77"}
    created = await client.post("/v1/practitioners", json=practitioner, headers=b.headers)
    assert created.status_code == 201, created.text
    exercise = {"code": "SIT-PELVIS-01", "name": "Sit", "category": "sitting", "surface": "table"}
    exercise["default_support_point"] = "pelvis"
    created = await client.post("/v1/exercises", json=exercise, headers=b.headers)
    assert created.status_code == 201, created.text
    hook = {"url": "https://93.184.216.34/hook", "event_types": ["child.created"]}
    created = await client.post("/v1/webhook-endpoints", json=hook, headers=b.headers)
    assert created.status_code == 201, created.text
    # An Idempotency-Key A used: B's own, for another body (no replay, no `reused`).
    key = {"Idempotency-Key": f"mia-{uuid.uuid4()}"}
    milestone = {"child_id": mia["id"], "milestone": "kneeling"}
    kept = await client.post("/v1/milestones", json=milestone, headers={**a.headers, **key})
    assert kept.status_code == 201, kept.text
    milestone = {"child_id": b.child_id, "milestone": "rolling"}
    created = await client.post("/v1/milestones", json=milestone, headers={**b.headers, **key})
    assert created.status_code == 201, created.text
    assert "Idempotent-Replayed" not in created.headers
    after = await client.get(f"/v1/children/{mia['id']}", headers=a.headers)
    assert after.content == before.content


async def _export_lines(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: TenantClient,
    kick_off: tuple[str, str],
    since: str | None,
) -> str:
    """Every file of an export B starts and its job runs, as one text."""
    headers = bearer(await mint_token(app, tenant))
    method, path = kick_off
    if method == "POST":
        body = {"since": since} if since else {}
        response = await client.post(path, json=body, headers=headers)
        location = f"{path}/{response.json()['id']}"
    else:
        params = {"_since": since} if since else {}
        response = await client.get(path, params=params, headers={**headers, **ASYNC})
        location = relative(response.headers["Content-Location"])
    assert response.status_code == 202, response.text
    assert await run_export(app, tenant.clinic_id, location) == "completed"
    manifest = (await client.get(location, headers=headers)).json()
    assert manifest["output"], manifest
    files = [*manifest["output"], *manifest.get("deleted", [])]
    texts = [(await client.get(relative(f["url"]), headers=headers)).text for f in files]
    return repr(manifest) + "".join(texts)


async def test_b_exports_hold_none_of_a_rows(
    app: FastAPI, client: httpx.AsyncClient, a: ClinicA, b: ClinicB, tenant_b: TenantClient
) -> None:
    # B's own tombstone, so that a `since` export has deletions of its own to report.
    extra = await seed_child(app, tenant_b, given_name="Gone")
    await client.delete(f"/v1/children/{extra.id}", headers={**b.headers, "If-Match": '"1"'})
    kick_offs = [
        op for op, why in OWN_CLINIC.items() if why.endswith("exports_hold_none_of_a_rows")
    ]
    assert len(kick_offs) == 3
    for kick_off in kick_offs:
        for since in (None, "2000-01-01T00:00:00Z"):
            text = await _export_lines(app, client, tenant_b, kick_off, since)
            assert b.child_id in text, kick_off
            assert not _ids(text) & a.every_id, (kick_off, since)
            assert not [word for word in A_WORDS if word in text], (kick_off, since)


async def test_b_settings_leave_a_unchanged(
    client: httpx.AsyncClient, a: ClinicA, b: ClinicB
) -> None:
    before = await client.get("/v1/clinic-settings", headers=a.headers)
    due = await client.get(f"/v1/children/{a.ids['child_id']}/due", headers=a.headers)
    current = await client.get("/v1/clinic-settings", headers=b.headers)
    body = {"time_zone": "Pacific/Kiritimati", "correct_until_months": 12}
    headers = {**b.headers, "If-Match": current.headers["etag"]}
    changed = await client.put("/v1/clinic-settings", json=body, headers=headers)
    assert changed.status_code == 200, changed.text
    assert (await client.get("/v1/clinic-settings", headers=a.headers)).content == before.content
    again = await client.get(f"/v1/children/{a.ids['child_id']}/due", headers=a.headers)
    assert again.content == due.content


async def test_a_deleted_rows_answer_as_no_row_does(
    client: httpx.AsyncClient, a: ClinicA, b: ClinicB
) -> None:
    assert len(a.gone) == 4
    leaks: list[str] = []
    for path, gone_id in a.gone.items():
        for suffix in ("", "/versions"):
            for verb in ("GET", "HEAD", "DELETE"):
                if verb == "DELETE" and suffix:
                    continue
                url = re.sub(r"\{[^}]+\}", gone_id, path) + suffix
                nobody_id = str(uuid.uuid4())
                headers = {**b.headers, "If-Match": '"2"'} if verb == "DELETE" else b.headers
                theirs = await client.request(verb, url, headers=headers)
                nobody = await client.request(
                    verb, url.replace(gone_id, nobody_id), headers=headers
                )
                values = [gone_id, nobody_id]
                if theirs.status_code != 404 or normalized(theirs, values) != normalized(
                    nobody, values
                ):
                    leaks.append(f"{verb} {url}: {theirs.status_code} {theirs.text[:200]}")
    assert not leaks, "\n".join(leaks)


async def test_b_audit_trail_tells_a_rows_from_no_rows_in_no_way(
    client: httpx.AsyncClient, a: ClinicA, b: ClinicB
) -> None:
    # B's audit log records B's refused requests: what it says of A's ids must be what it says
    # of ids of no row, or B could read there which ids exist in another clinic.
    rows = await make_b_rows(client, b)
    pairs: list[tuple[str, str]] = []
    for path in ("/v1/children/{child_id}", "/v1/session-records/{record_id}"):
        theirs_path, [theirs_id] = concrete(a, path)
        nobody_path, [nobody_id] = concrete(a, path, nobody=True)
        for url in (theirs_path, nobody_path):
            await client.get(url, headers=b.headers)
            await client.patch(
                url, json={"duration_minutes": 5}, headers={**b.headers, "If-Match": '"1"'}
            )
        pairs.append((theirs_id, nobody_id))
    # Each naming one id of A's no other probe names (A's practitioner, exercise, item).
    for method, path, body in refused_writes(a, b, rows)[1:4]:
        await client.request(method, path, json=body, headers=b.headers)
        swapped = _swap(body, a.every_id)
        await client.request(method, path, json=swapped, headers=b.headers)
        pairs.append(((_ids(body) & a.every_id).pop(), (_ids(swapped) - _ids(body)).pop()))
    leaks: list[str] = []
    for theirs_id, nobody_id in pairs:
        for name in ("resource_id", "reference_id"):
            theirs = await client.get(
                "/v1/audit-events", params={name: theirs_id}, headers=b.headers
            )
            nobody = await client.get(
                "/v1/audit-events", params={name: nobody_id}, headers=b.headers
            )
            assert theirs.status_code == nobody.status_code == 200, theirs.text
            strip = re.compile(r'"(id|occurred_at|request_id|token_jti)":\s*"[^"]*"')
            got = [strip.sub("", text) for text in (theirs.text, nobody.text)]
            got = [t.replace(theirs_id, "{id}").replace(nobody_id, "{id}") for t in got]
            got = [re.sub(r'"next_cursor":\s*"[^"]*"', "", t) for t in got]
            if got[0] != got[1]:
                leaks.append(f"{name}={theirs_id}: {got[0][:600]}\n   != {got[1][:600]}")
    assert not leaks, "\n".join(leaks)


def _next_cursor(response: httpx.Response) -> str | None:
    body = response.json()
    if "next_cursor" in body:
        return body["next_cursor"] or None
    for link in body.get("link", []):
        if link["relation"] == "next":
            return str(httpx.URL(link["url"]).params["_cursor"])
    return None


async def test_a_cursors_are_refused_on_every_list(
    app: FastAPI, client: httpx.AsyncClient, a: ClinicA, b: ClinicB, tenant_a: TenantClient
) -> None:
    await add_client(app, tenant_a)  # a second page of each administrative list
    hook = {"url": "https://93.184.216.34/other", "event_types": ["child.created"]}
    await Api(client, a.headers).post("/v1/webhook-endpoints", hook)
    schema = app.openapi()["paths"]
    walked, leaks = 0, []
    for method, path in operations(app):
        if method != "GET" or "{" in path or "$export" in path:
            continue
        declared = {p["name"] for p in schema[path]["get"].get("parameters", [])}
        cursor_name = "_cursor" if "_cursor" in declared else "cursor"
        if cursor_name not in declared:
            continue
        page = {"_count": "1"} if cursor_name == "_cursor" else {"limit": "1"}
        page |= {"before": "2099-01-01"} if "before" in declared else {}
        first = await client.get(path, params=page, headers=a.headers)
        assert first.status_code == 200, (path, first.text)
        cursor = _next_cursor(first)
        assert cursor, f"{path}: A has one page only"
        walked += 1
        theirs = await client.get(path, params={**page, cursor_name: cursor}, headers=b.headers)
        seen = (_ids(theirs.text) & a.every_id) | {w for w in A_WORDS if w in theirs.text}
        if theirs.status_code not in (400, 422) or seen:
            leaks.append(f"{path}: {theirs.status_code} {sorted(seen)} {theirs.text[:200]}")
    assert walked > 15, walked
    assert not leaks, "\n".join(leaks)


async def test_an_upsert_by_a_mrn_answers_as_by_no_mrn(
    client: httpx.AsyncClient, a: ClinicA, b: ClinicB
) -> None:
    child = {"given_name": "Ola", "family_name": "B", "birth_date": "2024-02-02", "sex": "male"}
    child["status"] = "active"
    leaks = []
    url = "/v1/children/by-external-id"

    async def upsert(named: str, headers: dict[str, str], in_body: bool) -> httpx.Response:
        if in_body:  # the MRN in the body (`PUT /v1/children/by-external-id`)
            return await client.put(url, json={**child, "external_id": named}, headers=headers)
        return await client.put(f"{url}/{named}", json=child, headers=headers)

    # Each way with another of A's MRNs: a child B made (then deleted) by one would be revived.
    mrns = sorted({c["external_id"] for c in a.made.children.values() if c.get("external_id")})
    for (in_body, mrn), conditions in itertools.product(
        zip((False, True), mrns[:2], strict=True),
        ({"If-Match": '"1"'}, {"If-Match": "*"}, {"If-None-Match": "*"}),
    ):
        nobody_mrn = ("Z" + uuid.uuid4().hex)[: len(mrn)]
        headers = {**b.headers, **conditions}
        theirs = await upsert(mrn, headers, in_body)
        nobody = await upsert(nobody_mrn, headers, in_body)
        values = [mrn, nobody_mrn, *(_ids(theirs.text) | _ids(nobody.text))]
        stamp = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z")
        got = [stamp.sub("", repr(normalized(r, values))) for r in (theirs, nobody)]
        if got[0] != got[1]:
            leaks.append(f"{conditions} {in_body}: {theirs.status_code} {got[0]} != {got[1]}")
        if theirs.status_code == 201:  # B's own now: the next condition starts afresh
            await client.delete(
                f"/v1/children/{theirs.json()['id']}", headers={**b.headers, "If-Match": '"1"'}
            )
            await client.delete(
                f"/v1/children/{nobody.json()['id']}", headers={**b.headers, "If-Match": '"1"'}
            )
    assert not leaks, "\n".join(leaks)


async def test_b_scores_by_its_own_rules_not_a_norms(
    client: httpx.AsyncClient, a: ClinicA, b: ClinicB
) -> None:
    # A's settings hold an AIMS norm table (rich_clinic): B's AIMS is scored without one.
    theirs = a.made.assessments["aims_norms"]
    assert theirs["scores"]["percentile_source"] == "clinic_norms"
    body = {
        "child_id": b.child_id,
        "instrument": "aims",
        "performed_on": "2024-09-01",
        "status": "final",
        "items": {f"prone-{n}": 1 for n in range(1, 5)} | {"supine-1": 1, "supine-2": 1},
    }
    mine = await Api(client, b.headers).post("/v1/assessments", body)
    assert mine["scores"]["percentile_source"] != "clinic_norms", mine["scores"]
    settings = await client.get("/v1/clinic-settings", headers=b.headers)
    assert "AIMS norms" not in settings.text
