"""/v1/webhook-endpoints: registration, changes, secret rotation, test pings, the delivery log
and resending; per operation: no token, wrong scope, another clinic's endpoint, bad input,
success; and the audit of every change."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col

from dmi_api.models.webhooks import WebhookDelivery, WebhookEndpoint
from dmi_api.tenant_scope import Tenant, bind_settings
from dmi_api.webhooks.secrets import SecretBox
from tests.support.tenants import TenantClient, bearer, make_tenant, mint_token

URL = "/v1/webhook-endpoints"
ADMIN = "webhooks:admin"
PUBLIC_URL = "https://93.184.216.34/hook"  # a literal public address: never resolved
NEW: dict[str, Any] = {
    "url": PUBLIC_URL,
    "event_types": ["child.created", "session_record.*"],
    "description": "EHR sync",
}
PUBLIC_FIELDS = {
    "id",
    "url",
    "description",
    "event_types",
    "status",
    "disabled_reason",
    "created_at",
    "updated_at",
    "version",
    "secret_rotation",
}
DELIVERY_FIELDS = {
    "id",
    "event_id",
    "event_type",
    "status",
    "attempts",
    "last_status_code",
    "last_latency_ms",
    "last_error_class",
    "last_retry_after_seconds",
    "next_attempt_at",
    "created_at",
    "updated_at",
}
Headers = Callable[..., Awaitable[dict[str, str]]]
RowT = TypeVar("RowT", WebhookEndpoint, WebhookDelivery)


@pytest.fixture
async def tenant_a(app: FastAPI) -> TenantClient:
    return await make_tenant(app)


@pytest.fixture
async def tenant_b(app: FastAPI) -> TenantClient:
    return await make_tenant(app)


@pytest.fixture
def headers_for(app: FastAPI) -> Headers:
    """`await headers_for(tenant, scope, ...)`: an Authorization header signed by the app."""

    async def make(tenant: TenantClient, *scopes: str) -> dict[str, str]:
        return bearer(await mint_token(app, tenant, scopes=list(scopes) or None))

    return make


@pytest.fixture
async def admin(tenant_a: TenantClient, headers_for: Headers) -> dict[str, str]:
    return await headers_for(tenant_a, ADMIN)


@pytest.fixture
async def endpoint(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, Any]:
    """Clinic A's endpoint, as its creation answered (secret included)."""
    return await create(client, admin)


@pytest.fixture
async def foreign(
    client: httpx.AsyncClient, tenant_b: TenantClient, headers_for: Headers
) -> dict[str, Any]:
    """Clinic B's endpoint."""
    return await create(client, await headers_for(tenant_b, ADMIN))


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    response = await client.post(URL, json={**NEW, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def rows(app: FastAPI, clinic_id: uuid.UUID, model: type[RowT], **where: Any) -> list[RowT]:
    """The clinic's rows of `model` with these column values, read as the app reads them."""
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=clinic_id)
        statement = Tenant(db, clinic_id).select(model)
        for name, value in where.items():
            statement = statement.where(col(getattr(model, name)) == value)
        return list((await db.execute(statement)).scalars().all())


async def change(app: FastAPI, clinic_id: uuid.UUID, row: Any, **values: Any) -> None:
    """Set columns of a row as the delivery side would (committed through the app's sessions)."""
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=clinic_id)
        found = await Tenant(db, clinic_id).get(type(row), row.id)
        assert found is not None
        for name, value in values.items():
            setattr(found, name, value)
        await db.commit()


async def add_delivery(app: FastAPI, clinic_id: uuid.UUID, endpoint_id: str, **values: Any) -> Any:
    """A delivery of a change event to the endpoint, as the dispatcher writes one."""
    event_id = uuid.uuid4()
    delivery = WebhookDelivery(
        clinic_id=clinic_id,
        endpoint_id=uuid.UUID(endpoint_id),
        event_id=event_id,
        event_type="child.created",
        payload={"id": str(event_id), "type": "child.created"},
        **values,
    )
    async with app.state.sessionmaker() as db:
        await bind_settings(db, clinic_id=clinic_id)
        Tenant(db, clinic_id).add(delivery)
        await db.commit()
    return delivery


def item(endpoint: dict[str, Any], suffix: str = "") -> str:
    return f"{URL}/{endpoint['id']}{suffix}"


def if_match(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


def problem(response: httpx.Response) -> tuple[str, str]:
    """The only field error of a 422: its pointer and code."""
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return errors[0]["pointer"], errors[0]["code"]


class TestCreate:
    async def test_no_token(self, client: httpx.AsyncClient) -> None:
        assert (await client.post(URL, json=NEW)).status_code == 401

    async def test_wrong_scope(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "events:read", "clients:admin")
        assert (await client.post(URL, json=NEW, headers=headers)).status_code == 403

    @pytest.mark.parametrize(
        ("fields", "pointer", "code"),
        [
            ({"url": "http://example.com/hook"}, "#/url", "scheme_not_allowed"),
            ({"url": "ftp://93.184.216.34/hook"}, "#/url", "scheme_not_allowed"),
            ({"url": "https://10.0.0.1/x"}, "#/url", "address_not_allowed"),
            ({"url": "https://169.254.169.254/"}, "#/url", "address_not_allowed"),
            ({"url": "https://127.0.0.1:8443/x"}, "#/url", "address_not_allowed"),
            ({"url": "https://[::1]/x"}, "#/url", "address_not_allowed"),
            ({"url": "https://localhost/x"}, "#/url", "localhost_not_allowed"),
            ({"url": "https://user:pw@93.184.216.34/x"}, "#/url", "userinfo_not_allowed"),
            ({"url": "not a url"}, "#/url", "url_invalid"),
            # A name is resolved at registration (RFC 6761: `.invalid` never resolves).
            ({"url": "https://hooks.example.invalid/x"}, "#/url", "host_unresolvable"),
            ({"url": "https://a/" + "x" * 2048}, "#/url", "string_too_long"),
            # Not a port (1..65535): a delivery could not dial it.
            ({"url": "https://93.184.216.34:99999/x"}, "#/url", "url_invalid"),
            ({"url": "https://93.184.216.34:65536/x"}, "#/url", "url_invalid"),
            ({"url": "https://93.184.216.34:0/x"}, "#/url", "url_invalid"),
            # Short as sent, longer than 2048 characters as it would be stored and called.
            ({"url": "https://93.184.216.34/" + "\u00e9" * 1500}, "#/url", "url_too_long"),
            ({"event_types": ["child.exploded"]}, "#/event_types/0", "unknown_event_type"),
            ({"event_types": ["child.created", "nope.*"]}, "#/event_types/1", "unknown_event_type"),
            ({"event_types": ["child"]}, "#/event_types/0", "unknown_event_type"),
            ({"event_types": ["child.*.x"]}, "#/event_types/0", "unknown_event_type"),
            ({"event_types": ["ping"]}, "#/event_types/0", "unknown_event_type"),
            ({"event_types": []}, "#/event_types", "too_short"),
            ({"event_types": "child.created"}, "#/event_types", "list_type"),
            ({"description": "x" * 501}, "#/description", "string_too_long"),
            ({"secret": "whsec_mine"}, "#/secret", "extra_forbidden"),
            ({"status": "disabled"}, "#/status", "extra_forbidden"),
        ],
    )
    async def test_bad_input(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        fields: dict[str, Any],
        pointer: str,
        code: str,
    ) -> None:
        response = await client.post(URL, json={**NEW, **fields}, headers=admin)
        assert problem(response) == (pointer, code)
        assert response.headers["content-type"] == "application/problem+json"

    async def test_url_is_required(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        response = await client.post(URL, json={"event_types": ["*"]}, headers=admin)
        assert problem(response) == ("#/url", "missing")

    async def test_a_refused_url_writes_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, admin: dict[str, str]
    ) -> None:
        response = await client.post(URL, json={**NEW, "url": "https://10.1.2.3/"}, headers=admin)
        assert response.status_code == 422
        assert "10.1.2.3" not in response.text  # the detail never repeats the URL
        assert await rows(app, tenant_a.clinic_id, WebhookEndpoint) == []

    async def test_success_shows_the_secret_once(
        self, app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantClient, admin: dict[str, str]
    ) -> None:
        response = await client.post(URL, json=NEW, headers=admin)
        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == PUBLIC_FIELDS | {"secret"}
        assert body["secret"].startswith("whsec_")
        assert body["url"] == PUBLIC_URL
        assert body["event_types"] == NEW["event_types"]
        assert body["status"] == "active"
        assert body["disabled_reason"] is None
        assert body["secret_rotation"] is None
        assert body["version"] == 1
        assert response.headers["Location"] == f"{URL}/{body['id']}"
        assert response.headers["ETag"] == '"1"'
        # Kept sealed, bound to its row; never in clear.
        (row,) = await rows(app, tenant_a.clinic_id, WebhookEndpoint)
        assert body["secret"] not in row.secret
        box = SecretBox(app.state.settings.secret_key.get_secret_value())
        assert box.open(row.secret, row.id) == body["secret"]
        assert row.client_id == tenant_a.client_id
        # Neither a read nor a list shows it again.
        read = await client.get(item(body), headers=admin)
        assert read.status_code == 200
        assert set(read.json()) == PUBLIC_FIELDS
        listed = await client.get(URL, headers=admin)
        assert [set(each) for each in listed.json()["data"]] == [PUBLIC_FIELDS]
        assert body["secret"] not in read.text + listed.text

    async def test_everything_and_prefixes_are_accepted_once_each(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        types = ["*", "assessment.*", "assessment.scored", "client.updated", "assessment.*"]
        body = await create(client, admin, event_types=types, description=None)
        assert body["event_types"] == ["*", "assessment.*", "assessment.scored", "client.updated"]
        assert body["description"] is None

    async def test_a_url_is_normalised(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        body = await create(client, admin, url="HTTPS://93.184.216.34:443/hook#fragment")
        assert body["url"] == PUBLIC_URL


class TestRead:
    async def test_no_token(self, client: httpx.AsyncClient, endpoint: dict[str, Any]) -> None:
        assert (await client.get(item(endpoint))).status_code == 401
        assert (await client.get(URL)).status_code == 401

    async def test_wrong_scope(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        endpoint: dict[str, Any],
    ) -> None:
        headers = await headers_for(tenant_a, "events:read", "audit:read")
        assert (await client.get(item(endpoint), headers=headers)).status_code == 403
        assert (await client.get(URL, headers=headers)).status_code == 403

    async def test_another_clinics_endpoint(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
        foreign: dict[str, Any],
    ) -> None:
        assert (await client.get(item(foreign), headers=admin)).status_code == 404
        listed = (await client.get(URL, headers=admin)).json()["data"]
        assert [each["id"] for each in listed] == [endpoint["id"]]

    async def test_bad_input(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        assert problem(await client.get(f"{URL}/not-a-uuid", headers=admin))[0] == "#/endpoint_id"
        response = await client.get(URL, params={"cursor": "x" * 50}, headers=admin)
        assert problem(response) == ("#/cursor", "cursor_invalid")
        assert (await client.get(f"{URL}/{uuid.uuid4()}", headers=admin)).status_code == 404

    async def test_success(
        self, client: httpx.AsyncClient, admin: dict[str, str], endpoint: dict[str, Any]
    ) -> None:
        response = await client.get(item(endpoint), headers=admin)
        assert response.status_code == 200
        assert response.json() == {k: v for k, v in endpoint.items() if k != "secret"}
        assert response.headers["ETag"] == '"1"'
        again = await client.get(item(endpoint), headers={**admin, "If-None-Match": '"1"'})
        assert again.status_code == 304

    async def test_list_pages_oldest_first(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        made = [(await create(client, admin, description=f"n{n}"))["id"] for n in range(3)]
        first = await client.get(URL, params={"limit": 2}, headers=admin)
        page = first.json()
        assert [each["id"] for each in page["data"]] == made[:2]
        assert 'rel="next"' in first.headers["Link"]
        rest = await client.get(
            URL, params={"limit": 2, "cursor": page["next_cursor"]}, headers=admin
        )
        assert [each["id"] for each in rest.json()["data"]] == made[2:]
        assert rest.json()["next_cursor"] is None


class TestUpdate:
    async def test_no_token(self, client: httpx.AsyncClient, endpoint: dict[str, Any]) -> None:
        response = await client.patch(item(endpoint), json={"description": "x"})
        assert response.status_code == 401

    async def test_wrong_scope(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        endpoint: dict[str, Any],
    ) -> None:
        headers = if_match(await headers_for(tenant_a, "clients:admin"), 1)
        response = await client.patch(item(endpoint), json={"description": "x"}, headers=headers)
        assert response.status_code == 403

    async def test_another_clinics_endpoint(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        foreign: dict[str, Any],
    ) -> None:
        response = await client.patch(
            item(foreign), json={"status": "disabled"}, headers=if_match(admin, 1)
        )
        assert response.status_code == 404

    async def test_if_match_is_required(
        self, client: httpx.AsyncClient, admin: dict[str, str], endpoint: dict[str, Any]
    ) -> None:
        change = {"description": "x"}
        assert (await client.patch(item(endpoint), json=change, headers=admin)).status_code == 428
        stale = if_match(admin, 7)
        assert (await client.patch(item(endpoint), json=change, headers=stale)).status_code == 412

    @pytest.mark.parametrize(
        ("fields", "pointer", "code"),
        [
            ({"url": "https://192.168.1.10/x"}, "#/url", "address_not_allowed"),
            ({"url": "http://93.184.216.34/x"}, "#/url", "scheme_not_allowed"),
            ({"url": None}, "#/url", "null_not_allowed"),
            ({"event_types": None}, "#/event_types", "null_not_allowed"),
            ({"event_types": []}, "#/event_types", "too_short"),
            (
                {"event_types": ["child.created", "child.signed"]},
                "#/event_types/1",
                "unknown_event_type",
            ),
            ({"status": None}, "#/status", "null_not_allowed"),
            ({"status": "paused"}, "#/status", "literal_error"),
            ({"secret": "whsec_x"}, "#/secret", "extra_forbidden"),
            ({"version": 9}, "#/version", "extra_forbidden"),
        ],
    )
    async def test_bad_input(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
        fields: dict[str, Any],
        pointer: str,
        code: str,
    ) -> None:
        response = await client.patch(item(endpoint), json=fields, headers=if_match(admin, 1))
        assert problem(response) == (pointer, code)
        (row,) = await rows(app, tenant_a.clinic_id, WebhookEndpoint)
        assert (row.url, row.version) == (PUBLIC_URL, 1)

    async def test_success(
        self, client: httpx.AsyncClient, admin: dict[str, str], endpoint: dict[str, Any]
    ) -> None:
        fields = {
            "url": "https://93.184.216.35/other",
            "event_types": ["assessment.finalized"],
            "description": None,
        }
        response = await client.patch(item(endpoint), json=fields, headers=if_match(admin, 1))
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == PUBLIC_FIELDS
        assert {k: body[k] for k in fields} == fields
        assert body["version"] == 2
        assert response.headers["ETag"] == '"2"'
        assert body["updated_at"] > endpoint["updated_at"]
        # An omitted field stays as it was.
        again = await client.patch(
            item(endpoint), json={"description": "back"}, headers=if_match(admin, 2)
        )
        assert again.json()["event_types"] == ["assessment.finalized"]
        assert again.json()["description"] == "back"

    async def test_disable_and_enable_again(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
    ) -> None:
        off = await client.patch(
            item(endpoint), json={"status": "disabled"}, headers=if_match(admin, 1)
        )
        assert (off.json()["status"], off.json()["disabled_reason"]) == ("disabled", "manual")
        # As the delivery side leaves an endpoint it disabled for failing.
        (row,) = await rows(app, tenant_a.clinic_id, WebhookEndpoint)
        since = datetime.now(UTC) - timedelta(days=6)
        await change(app, tenant_a.clinic_id, row, disabled_reason="failing", failing_since=since)
        read = (await client.get(item(endpoint), headers=admin)).json()
        assert read["disabled_reason"] == "failing"
        on = await client.patch(
            item(endpoint), json={"status": "active"}, headers=if_match(admin, 2)
        )
        assert (on.json()["status"], on.json()["disabled_reason"]) == ("active", None)
        (row,) = await rows(app, tenant_a.clinic_id, WebhookEndpoint)
        assert (row.failing_since, row.disabled_reason) == (None, None)

    async def test_an_endpoint_whose_receiver_is_gone_reads_so(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
    ) -> None:
        # As the delivery side leaves an endpoint whose receiver answered 410 Gone.
        (row,) = await rows(app, tenant_a.clinic_id, WebhookEndpoint)
        await change(app, tenant_a.clinic_id, row, status="disabled", disabled_reason="gone")
        read = await client.get(item(endpoint), headers=admin)
        assert read.status_code == 200, read.text
        assert (read.json()["status"], read.json()["disabled_reason"]) == ("disabled", "gone")


class TestDelete:
    async def test_no_token(self, client: httpx.AsyncClient, endpoint: dict[str, Any]) -> None:
        assert (await client.delete(item(endpoint))).status_code == 401

    async def test_wrong_scope(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        endpoint: dict[str, Any],
    ) -> None:
        headers = if_match(await headers_for(tenant_a, "events:read"), 1)
        assert (await client.delete(item(endpoint), headers=headers)).status_code == 403

    async def test_another_clinics_endpoint(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_b: TenantClient,
        admin: dict[str, str],
        foreign: dict[str, Any],
    ) -> None:
        assert (await client.delete(item(foreign), headers=if_match(admin, 1))).status_code == 404
        assert len(await rows(app, tenant_b.clinic_id, WebhookEndpoint)) == 1

    async def test_bad_input(
        self, client: httpx.AsyncClient, admin: dict[str, str], endpoint: dict[str, Any]
    ) -> None:
        assert (await client.delete(item(endpoint), headers=admin)).status_code == 428
        assert (await client.delete(item(endpoint), headers=if_match(admin, 2))).status_code == 412
        malformed = {**admin, "If-Match": "1"}
        assert (await client.delete(item(endpoint), headers=malformed)).status_code == 400
        response = await client.delete(f"{URL}/nope", headers=if_match(admin, 1))
        assert problem(response)[0] == "#/endpoint_id"

    async def test_success_removes_the_deliveries(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
    ) -> None:
        kept = await create(client, admin)
        await add_delivery(app, tenant_a.clinic_id, endpoint["id"])
        await add_delivery(app, tenant_a.clinic_id, kept["id"])
        response = await client.delete(item(endpoint), headers=if_match(admin, 1))
        assert response.status_code == 204
        assert response.content == b""
        assert (await client.get(item(endpoint), headers=admin)).status_code == 404
        left = await rows(app, tenant_a.clinic_id, WebhookDelivery)
        assert [str(each.endpoint_id) for each in left] == [kept["id"]]


class TestRotateSecret:
    async def test_no_token(self, client: httpx.AsyncClient, endpoint: dict[str, Any]) -> None:
        assert (await client.post(item(endpoint, "/rotate-secret"))).status_code == 401

    async def test_wrong_scope(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        endpoint: dict[str, Any],
    ) -> None:
        headers = await headers_for(tenant_a, "clients:admin")
        response = await client.post(item(endpoint, "/rotate-secret"), headers=headers)
        assert response.status_code == 403

    async def test_another_clinics_endpoint(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_b: TenantClient,
        admin: dict[str, str],
        foreign: dict[str, Any],
    ) -> None:
        response = await client.post(item(foreign, "/rotate-secret"), headers=admin)
        assert response.status_code == 404
        (row,) = await rows(app, tenant_b.clinic_id, WebhookEndpoint)
        assert row.previous_secret is None

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"overlap_seconds": -1}, "greater_than_equal"),
            ({"overlap_seconds": 604_801}, "less_than_equal"),
            ({"overlap_seconds": "soon"}, "int_parsing"),
            ({"overlap": 60}, "extra_forbidden"),
        ],
    )
    async def test_bad_input(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
        body: dict[str, Any],
        code: str,
    ) -> None:
        response = await client.post(item(endpoint, "/rotate-secret"), json=body, headers=admin)
        assert problem(response)[1] == code

    async def test_success_keeps_the_previous_secret_for_a_day(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
    ) -> None:
        before = datetime.now(UTC)
        response = await client.post(item(endpoint, "/rotate-secret"), headers=admin)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == PUBLIC_FIELDS | {"secret"}
        assert body["secret"].startswith("whsec_")
        assert body["secret"] != endpoint["secret"]
        assert body["version"] == 2
        assert response.headers["ETag"] == '"2"'
        read = (await client.get(item(endpoint), headers=admin)).json()
        assert "secret" not in read
        expires = datetime.fromisoformat(read["secret_rotation"]["previous_expires_at"])
        day = timedelta(days=1)
        assert before + day <= expires <= datetime.now(UTC) + day
        (row,) = await rows(app, tenant_a.clinic_id, WebhookEndpoint)
        box = SecretBox(app.state.settings.secret_key.get_secret_value())
        assert box.open(row.secret, row.id) == body["secret"]
        assert row.previous_secret is not None
        assert box.open(row.previous_secret, row.id) == endpoint["secret"]

    async def test_the_rotation_ends_when_the_previous_secret_expires(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
    ) -> None:
        assert (await client.post(item(endpoint, "/rotate-secret"), headers=admin)).is_success
        (row,) = await rows(app, tenant_a.clinic_id, WebhookEndpoint)
        past = datetime.now(UTC) - timedelta(seconds=1)
        await change(app, tenant_a.clinic_id, row, previous_secret_expires_at=past)
        read = (await client.get(item(endpoint), headers=admin)).json()
        assert read["secret_rotation"] is None

    async def test_an_overlap_of_its_own(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
    ) -> None:
        path = item(endpoint, "/rotate-secret")
        hour = await client.post(path, json={"overlap_seconds": 3600}, headers=admin)
        expires = datetime.fromisoformat(hour.json()["secret_rotation"]["previous_expires_at"])
        assert expires <= datetime.now(UTC) + timedelta(hours=1)
        at_once = await client.post(path, json={"overlap_seconds": 0}, headers=admin)
        assert at_once.status_code == 200
        assert at_once.json()["secret_rotation"] is None
        (row,) = await rows(app, tenant_a.clinic_id, WebhookEndpoint)
        assert (row.previous_secret, row.previous_secret_expires_at) == (None, None)


class TestPing:
    async def test_no_token(self, client: httpx.AsyncClient, endpoint: dict[str, Any]) -> None:
        assert (await client.post(item(endpoint, "/test"))).status_code == 401

    async def test_wrong_scope(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        endpoint: dict[str, Any],
    ) -> None:
        headers = await headers_for(tenant_a, "events:read")
        assert (await client.post(item(endpoint, "/test"), headers=headers)).status_code == 403

    async def test_another_clinics_endpoint(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_b: TenantClient,
        admin: dict[str, str],
        foreign: dict[str, Any],
    ) -> None:
        assert (await client.post(item(foreign, "/test"), headers=admin)).status_code == 404
        assert await rows(app, tenant_b.clinic_id, WebhookDelivery) == []

    async def test_bad_input(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        response = await client.post(f"{URL}/12/test", headers=admin)
        assert problem(response)[0] == "#/endpoint_id"

    async def test_success_queues_a_pending_ping(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
    ) -> None:
        response = await client.post(item(endpoint, "/test"), headers=admin)
        assert response.status_code == 202, response.text
        body = response.json()
        assert set(body) == DELIVERY_FIELDS
        assert (body["event_type"], body["status"], body["attempts"]) == ("ping", "pending", 0)
        assert body["next_attempt_at"] is not None
        (row,) = await rows(app, tenant_a.clinic_id, WebhookDelivery)
        assert str(row.id) == body["id"]
        assert str(row.endpoint_id) == endpoint["id"]
        assert row.payload["type"] == "ping"
        assert row.payload["id"] == body["event_id"] == str(row.event_id)
        assert row.payload["endpoint_id"] == endpoint["id"]
        assert set(row.payload) == {"id", "type", "occurred_at", "endpoint_id"}
        # Each ping is an event of its own.
        assert (await client.post(item(endpoint, "/test"), headers=admin)).status_code == 202
        assert len(await rows(app, tenant_a.clinic_id, WebhookDelivery)) == 2


class TestDeliveries:
    async def test_no_token(self, client: httpx.AsyncClient, endpoint: dict[str, Any]) -> None:
        assert (await client.get(item(endpoint, "/deliveries"))).status_code == 401

    async def test_wrong_scope(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        endpoint: dict[str, Any],
    ) -> None:
        headers = await headers_for(tenant_a, "events:read")
        response = await client.get(item(endpoint, "/deliveries"), headers=headers)
        assert response.status_code == 403

    async def test_another_clinics_endpoint(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_b: TenantClient,
        admin: dict[str, str],
        foreign: dict[str, Any],
    ) -> None:
        await add_delivery(app, tenant_b.clinic_id, foreign["id"])
        response = await client.get(item(foreign, "/deliveries"), headers=admin)
        assert response.status_code == 404

    async def test_bad_input(
        self, client: httpx.AsyncClient, admin: dict[str, str], endpoint: dict[str, Any]
    ) -> None:
        path = item(endpoint, "/deliveries")
        response = await client.get(path, params={"status": "lost"}, headers=admin)
        assert problem(response)[0] == "#/status"
        response = await client.get(path, params={"limit": 0}, headers=admin)
        assert problem(response)[0] == "#/limit"
        response = await client.get(path, params={"event": "x"}, headers=admin)
        assert response.status_code == 422

    async def test_success_newest_first_a_page_at_a_time(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
    ) -> None:
        other = await create(client, admin)
        start = datetime.now(UTC) - timedelta(hours=1)
        made = []
        for n, status in enumerate(["succeeded", "failed", "pending"]):
            stamp = start + timedelta(minutes=n)
            made.append(
                await add_delivery(
                    app,
                    tenant_a.clinic_id,
                    endpoint["id"],
                    status=status,
                    attempts=n + 1,
                    last_status_code=503,
                    last_latency_ms=12.5,
                    last_retry_after_seconds=3600,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
        await add_delivery(app, tenant_a.clinic_id, other["id"])
        path = item(endpoint, "/deliveries")
        first = await client.get(path, params={"limit": 2}, headers=admin)
        assert first.status_code == 200, first.text
        page = first.json()
        assert [each["id"] for each in page["data"]] == [str(made[2].id), str(made[1].id)]
        assert set(page["data"][0]) == DELIVERY_FIELDS
        assert page["data"][1]["last_status_code"] == 503
        assert page["data"][1]["last_retry_after_seconds"] == 3600
        assert page["data"][1]["attempts"] == 2
        params = {"limit": 2, "cursor": page["next_cursor"]}
        rest = (await client.get(path, params=params, headers=admin)).json()
        assert [each["id"] for each in rest["data"]] == [str(made[0].id)]
        assert rest["next_cursor"] is None
        failed = await client.get(path, params={"status": "failed"}, headers=admin)
        assert [each["id"] for each in failed.json()["data"]] == [str(made[1].id)]
        # A cursor belongs to its query.
        wrong = await client.get(
            path, params={"status": "failed", "cursor": page["next_cursor"]}, headers=admin
        )
        assert problem(wrong) == ("#/cursor", "cursor_invalid")


class TestResend:
    async def test_no_token(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        endpoint: dict[str, Any],
    ) -> None:
        delivery = await add_delivery(app, tenant_a.clinic_id, endpoint["id"])
        path = item(endpoint, f"/deliveries/{delivery.id}/resend")
        assert (await client.post(path)).status_code == 401

    async def test_wrong_scope(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        endpoint: dict[str, Any],
    ) -> None:
        delivery = await add_delivery(app, tenant_a.clinic_id, endpoint["id"])
        path = item(endpoint, f"/deliveries/{delivery.id}/resend")
        headers = await headers_for(tenant_a, "events:read")
        assert (await client.post(path, headers=headers)).status_code == 403

    async def test_another_clinics_delivery(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
        foreign: dict[str, Any],
    ) -> None:
        theirs = await add_delivery(app, tenant_b.clinic_id, foreign["id"], status="failed")
        path = item(foreign, f"/deliveries/{theirs.id}/resend")
        assert (await client.post(path, headers=admin)).status_code == 404
        # Nor through one's own endpoint.
        path = item(endpoint, f"/deliveries/{theirs.id}/resend")
        assert (await client.post(path, headers=admin)).status_code == 404
        (row,) = await rows(app, tenant_b.clinic_id, WebhookDelivery)
        assert row.status == "failed"

    async def test_a_delivery_of_another_endpoint(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
    ) -> None:
        other = await create(client, admin)
        delivery = await add_delivery(app, tenant_a.clinic_id, other["id"], status="failed")
        path = item(endpoint, f"/deliveries/{delivery.id}/resend")
        assert (await client.post(path, headers=admin)).status_code == 404

    async def test_bad_input(
        self, client: httpx.AsyncClient, admin: dict[str, str], endpoint: dict[str, Any]
    ) -> None:
        response = await client.post(item(endpoint, "/deliveries/zz/resend"), headers=admin)
        assert problem(response)[0] == "#/delivery_id"

    async def test_success_makes_it_due_again(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        admin: dict[str, str],
        endpoint: dict[str, Any],
    ) -> None:
        long_ago = datetime.now(UTC) - timedelta(days=4)
        delivery = await add_delivery(
            app,
            tenant_a.clinic_id,
            endpoint["id"],
            status="failed",
            attempts=17,
            last_status_code=503,
            next_attempt_at=None,
            created_at=long_ago,
            updated_at=long_ago,
        )
        before = datetime.now(UTC)
        path = item(endpoint, f"/deliveries/{delivery.id}/resend")
        response = await client.post(path, headers=admin)
        assert response.status_code == 202, response.text
        body = response.json()
        assert (body["id"], body["status"], body["attempts"]) == (str(delivery.id), "pending", 17)
        assert body["last_status_code"] == 503
        (row,) = await rows(app, tenant_a.clinic_id, WebhookDelivery)
        assert row.status == "pending"
        assert row.attempts == 17
        assert row.next_attempt_at is not None
        assert before - timedelta(seconds=1) <= row.next_attempt_at <= datetime.now(UTC)


class TestAudit:
    async def test_every_change_is_audited(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        admin: dict[str, str],
    ) -> None:
        made = await create(client, admin)
        ident = made["id"]
        await client.get(item(made), headers=admin)
        await client.patch(item(made), json={"description": "x"}, headers=if_match(admin, 1))
        await client.post(item(made, "/rotate-secret"), headers=admin)
        await client.post(item(made, "/test"), headers=admin)
        response = await client.delete(item(made), headers=if_match(admin, 3))
        assert response.status_code == 204
        auditor = await headers_for(tenant_a, "audit:read")
        params = {"resource_type": "webhook_endpoint", "limit": "50"}
        events = (await client.get("/v1/audit-events", params=params, headers=auditor)).json()
        seen = [(e["action"], e["resource_id"], e["outcome"]) for e in reversed(events["data"])]
        assert seen == [
            ("create", ident, 201),
            ("read", ident, 200),
            ("update", ident, 200),
            ("update", ident, 200),
            ("update", ident, 202),
            ("delete", ident, 204),
        ]
        assert {e["client_id"] for e in events["data"]} == {str(tenant_a.client_id)}

    async def test_a_refused_change_is_not_audited_as_done(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
        admin: dict[str, str],
        foreign: dict[str, Any],
    ) -> None:
        await client.post(URL, json={**NEW, "url": "https://10.0.0.1/"}, headers=admin)
        await client.delete(item(foreign), headers=if_match(admin, 1))
        auditor = await headers_for(tenant_a, "audit:read")
        params = {"resource_type": "webhook_endpoint"}
        events = (await client.get("/v1/audit-events", params=params, headers=auditor)).json()
        assert [e["action"] for e in events["data"] if e["outcome"] < 300] == []
        theirs = await headers_for(tenant_b, "audit:read")
        events = (await client.get("/v1/audit-events", params=params, headers=theirs)).json()
        assert [e["action"] for e in events["data"]] == ["create"]
