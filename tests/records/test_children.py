"""/v1/children: the conventions of the records API, the child's rules and the MRN upsert."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers
from tests.support.records import seed_child, seed_exercise, seed_practitioner
from tests.support.tenants import TenantClient, bearer, make_tenant, mint_token

URL = "/v1/children"
NEW: dict[str, Any] = {
    "given_name": "Mia",
    "family_name": "Lopez",
    "preferred_name": "Mimi",
    "birth_date": "2024-03-01",
    "sex": "female",
    "gestational_age_weeks": 32,
    "gestational_age_days": 4,
    "external_id": "MRN-1",
    "diagnoses": [{"code": "Q90.9", "text": "Down syndrome"}, {"code": "R62.50", "text": None}],
    "caregivers": [
        {
            "name": "Sara Lopez",
            "relationship": "mother",
            "phone": "+15551234567",
            "email": "sara@example.org",
            "primary": True,
            "consent_to_contact": True,
        },
        {
            "name": "Leo Lopez",
            "relationship": "father",
            "phone": None,
            "email": None,
            "primary": False,
            "consent_to_contact": False,
        },
    ],
    "status": "active",
}
FUTURE = (date.today() + timedelta(days=2)).isoformat()
CAREGIVER = {"name": "C", "relationship": "guardian"}


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: object
) -> httpx.Response:
    response = await client.post(URL, json={**NEW, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response


def same(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Equal bodies; timestamps compared as instants (SQLite reads them back without a zone)."""

    def instant(text: str) -> datetime:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    stamps = ("created_at", "updated_at")
    return all(instant(first[k]) == instant(second[k]) for k in stamps) and {
        k: v for k, v in first.items() if k not in stamps
    } == {k: v for k, v in second.items() if k not in stamps}


def pointers(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["pointer"] for error in response.json()["errors"]]


class TestCreate:
    async def test_no_token(self, client: httpx.AsyncClient) -> None:
        assert (await client.post(URL, json=NEW)).status_code == 401

    async def test_wrong_scope(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "children:read", "practitioners:write")
        assert (await client.post(URL, json=NEW, headers=headers)).status_code == 403

    @pytest.mark.parametrize(
        ("payload", "pointer"),
        [
            ({**NEW, "given_name": ""}, "#/given_name"),
            ({**NEW, "family_name": "x" * 101}, "#/family_name"),
            ({**NEW, "preferred_name": "a\u0000b"}, "#/preferred_name"),
            ({**NEW, "birth_date": FUTURE}, "#/birth_date"),
            ({**NEW, "birth_date": "1989-12-31"}, "#/birth_date"),
            ({**NEW, "birth_date": "2024-02-30"}, "#/birth_date"),
            ({k: v for k, v in NEW.items() if k != "birth_date"}, "#/birth_date"),
            ({**NEW, "sex": "f"}, "#/sex"),
            ({**NEW, "status": "archived"}, "#/status"),
            ({**NEW, "gestational_age_weeks": 21}, "#/gestational_age_weeks"),
            ({**NEW, "gestational_age_weeks": 45}, "#/gestational_age_weeks"),
            ({**NEW, "gestational_age_days": 7}, "#/gestational_age_days"),
            ({**NEW, "gestational_age_weeks": None}, "#/gestational_age_days"),
            ({**NEW, "diagnoses": [{"code": "q90.9"}]}, "#/diagnoses/0/code"),
            ({**NEW, "diagnoses": [{"code": "U07.1"}]}, "#/diagnoses/0/code"),
            ({**NEW, "diagnoses": [{"code": "Q9"}]}, "#/diagnoses/0/code"),
            ({**NEW, "diagnoses": [{"code": "G80.123456"}]}, "#/diagnoses/0/code"),
            ({**NEW, "diagnoses": [{"code": "G80.1", "severity": 2}]}, "#/diagnoses/0/severity"),
            ({**NEW, "diagnoses": [{"code": "G80.1"}, {"code": "G80.1"}]}, "#/diagnoses/1/code"),
            ({**NEW, "diagnoses": [{"code": f"Q{n:02d}.1"} for n in range(51)]}, "#/diagnoses"),
            ({**NEW, "caregivers": [CAREGIVER] * 11}, "#/caregivers"),
            ({**NEW, "caregivers": [{**CAREGIVER, "primary": True}] * 2}, "#/caregivers/1/primary"),
            (
                {**NEW, "caregivers": [{**CAREGIVER, "relationship": "aunt"}]},
                "#/caregivers/0/relationship",
            ),
            ({**NEW, "caregivers": [{**CAREGIVER, "phone": "555-1234"}]}, "#/caregivers/0/phone"),
            (
                {**NEW, "caregivers": [{**CAREGIVER, "email": "not-an-email"}]},
                "#/caregivers/0/email",
            ),
            ({**NEW, "caregivers": [{"relationship": "mother"}]}, "#/caregivers/0/name"),
            ({**NEW, "external_id": "has spaces"}, "#/external_id"),
            ({**NEW, "id": str(uuid.uuid4())}, "#/id"),
            ({**NEW, "version": 3}, "#/version"),
            ({**NEW, "deleted_at": "2025-01-01T00:00:00Z"}, "#/deleted_at"),
            ({**NEW, "clinic_id": str(uuid.uuid4())}, "#/clinic_id"),
        ],
    )
    async def test_bad_input(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        payload: dict[str, object],
        pointer: str,
    ) -> None:
        headers = await headers_for(tenant_a, "children:write", "children:read")
        response = await client.post(URL, json=payload, headers=headers)
        assert pointer in pointers(response)
        # Atomic: nothing was stored.
        assert (await client.get(URL, headers=headers)).json()["data"] == []

    async def test_errors_never_echo_the_input(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "children:write")
        secret = "ZZ-SECRET-NAME"
        payload = {**NEW, "caregivers": [{**CAREGIVER, "name": secret, "phone": secret}]}
        response = await client.post(URL, json=payload, headers=headers)
        assert response.status_code == 422
        assert secret not in response.text

    async def test_success(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "children:write")
        response = await create(client, headers)
        body = response.json()
        assert body["version"] == 1
        assert body["deleted_at"] is None
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"{URL}/{body['id']}"
        assert {k: body[k] for k in NEW} == NEW

    async def test_defaults_and_today_is_accepted(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "children:write")
        minimal = {"given_name": "A", "family_name": "B", "sex": "unknown"}
        today = datetime.now(UTC).date().isoformat()
        body = (
            await client.post(URL, json={**minimal, "birth_date": today}, headers=headers)
        ).json()
        assert body["status"] == "active"
        assert body["diagnoses"] == body["caregivers"] == []
        assert body["external_id"] is None
        # Weeks without days is fine (32+0).
        other = {**minimal, "birth_date": "1990-01-01", "gestational_age_weeks": 32}
        assert (await client.post(URL, json=other, headers=headers)).status_code == 201

    async def test_external_id_is_unique_per_clinic_tombstones_included(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        headers = await headers_for(tenant_a, "children:write")
        row = (await create(client, headers)).json()
        duplicate = await client.post(URL, json=NEW, headers=headers)
        assert duplicate.status_code == 409
        assert NEW["external_id"] not in duplicate.text
        await client.delete(f"{URL}/{row['id']}", headers={**headers, "If-Match": '"1"'})
        assert (await client.post(URL, json=NEW, headers=headers)).status_code == 409
        other_clinic = await headers_for(tenant_b, "children:write")
        assert (await client.post(URL, json=NEW, headers=other_clinic)).status_code == 201


class TestIdempotency:
    async def test_replay_returns_the_first_response_without_a_second_row(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a, "children:write", "children:read")
        keyed = {**headers, "Idempotency-Key": "child-1"}
        first = await client.post(URL, json=NEW, headers=keyed)
        second = await client.post(URL, json=NEW, headers=keyed)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert len((await client.get(URL, headers=headers)).json()["data"]) == 1

    async def test_same_key_other_body_is_422(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        keyed = {**await headers_for(tenant_a, "children:write"), "Idempotency-Key": "child-2"}
        await client.post(URL, json=NEW, headers=keyed)
        other = await client.post(URL, json={**NEW, "given_name": "Bo"}, headers=keyed)
        assert other.status_code == 422
        assert other.json()["errors"][0]["code"] == "idempotency_key_reused"


@pytest.mark.usefixtures("serving_path")
class TestReadAndConditional:
    async def test_no_token_and_wrong_scope(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        row = (await create(client, await headers_for(tenant_a))).json()
        path = f"{URL}/{row['id']}"
        assert (await client.get(path)).status_code == 401
        writer = await headers_for(tenant_a, "children:write")
        assert (await client.get(path, headers=writer)).status_code == 403
        reader = {**await headers_for(tenant_a, "children:read"), "If-Match": '"1"'}
        assert (await client.patch(path, json={}, headers=reader)).status_code == 403
        assert (await client.delete(path, headers=reader)).status_code == 403

    async def test_cross_clinic_is_404_like_missing(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        row = (await create(client, await headers_for(tenant_a))).json()
        headers_b = await headers_for(tenant_b)
        for suffix in ("", "/versions", "/milestones"):
            other = await client.get(f"{URL}/{row['id']}{suffix}", headers=headers_b)
            missing = await client.get(f"{URL}/{uuid.uuid4()}{suffix}", headers=headers_b)
            assert other.status_code == missing.status_code == 404
            assert other.json()["detail"] == missing.json()["detail"]
        for method in ("PATCH", "DELETE"):
            response = await client.request(
                method,
                f"{URL}/{row['id']}",
                json={"status": "on_hold"},
                headers={**headers_b, "If-Match": '"1"'},
            )
            assert response.status_code == 404
        mine = (await client.get(f"{URL}/{row['id']}", headers=await headers_for(tenant_a))).json()
        assert mine["version"] == 1

    async def test_etag_and_if_none_match(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        got = await client.get(f"{URL}/{row['id']}", headers=headers)
        assert got.headers["etag"] == '"1"'
        assert same(got.json(), row)
        cached = await client.get(f"{URL}/{row['id']}", headers={**headers, "If-None-Match": '"1"'})
        assert cached.status_code == 304
        assert cached.content == b""
        stale = await client.get(f"{URL}/{row['id']}", headers={**headers, "If-None-Match": '"0"'})
        assert stale.status_code == 200

    async def test_if_match_required_and_checked(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        path = f"{URL}/{row['id']}"
        change = {"status": "on_hold"}
        assert (await client.patch(path, json=change, headers=headers)).status_code == 428
        updated = await client.patch(path, json=change, headers={**headers, "If-Match": '"1"'})
        assert updated.status_code == 200
        assert updated.headers["etag"] == '"2"'
        assert updated.json()["status"] == "on_hold"
        assert updated.json()["given_name"] == NEW["given_name"]
        stale = await client.patch(
            path, json={"status": "discharged"}, headers={**headers, "If-Match": '"1"'}
        )
        assert stale.status_code == 412
        assert (await client.get(path, headers=headers)).json()["status"] == "on_hold"
        assert (
            await client.delete(path, headers={**headers, "If-Match": '"1"'})
        ).status_code == 412
        assert (await client.delete(path, headers=headers)).status_code == 428
        assert (
            await client.delete(path, headers={**headers, "If-Match": '"2"'})
        ).status_code == 204

    @pytest.mark.parametrize(
        ("change", "pointer"),
        [
            ({"given_name": None}, "#/given_name"),
            ({"birth_date": None}, "#/birth_date"),
            ({"diagnoses": None}, "#/diagnoses"),
            ({"birth_date": FUTURE}, "#/birth_date"),
            ({"gestational_age_weeks": None}, "#/gestational_age_weeks"),
            ({"caregivers": [{**CAREGIVER, "primary": True}] * 2}, "#/caregivers/1/primary"),
            ({"version": 9}, "#/version"),
            ({"updated_at": "2025-01-01T00:00:00Z"}, "#/updated_at"),
        ],
    )
    async def test_patch_validation(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        change: dict[str, object],
        pointer: str,
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        path = f"{URL}/{row['id']}"
        response = await client.patch(path, json=change, headers={**headers, "If-Match": '"1"'})
        assert pointer in pointers(response)
        assert same((await client.get(path, headers=headers)).json(), row)

    async def test_patch_clearing_days_and_weeks_together_is_fine(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        cleared = {"gestational_age_weeks": None, "gestational_age_days": None}
        response = await client.patch(
            f"{URL}/{row['id']}", json=cleared, headers={**headers, "If-Match": '"1"'}
        )
        assert response.status_code == 200
        assert response.json()["gestational_age_weeks"] is None

    async def test_patch_external_id_conflict_is_409(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        await create(client, headers)
        other = (await create(client, headers, external_id="MRN-2")).json()
        response = await client.patch(
            f"{URL}/{other['id']}",
            json={"external_id": "MRN-1"},
            headers={**headers, "If-Match": '"1"'},
        )
        assert response.status_code == 409

    async def test_birth_date_cannot_move_after_recorded_milestones(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        observation = {"child_id": row["id"], "milestone": "rolling", "achieved_on": "2024-09-01"}
        assert (
            await client.post("/v1/milestones", json=observation, headers=headers)
        ).status_code == 201
        path = f"{URL}/{row['id']}"
        later = await client.patch(
            path, json={"birth_date": "2024-10-01"}, headers={**headers, "If-Match": '"1"'}
        )
        assert pointers(later) == ["#/birth_date"]
        earlier = await client.patch(
            path, json={"birth_date": "2024-02-01"}, headers={**headers, "If-Match": '"1"'}
        )
        assert earlier.status_code == 200

    @pytest.mark.parametrize("kind", ["session_record", "prescription"])
    async def test_birth_date_cannot_move_after_recorded_sessions_or_prescriptions(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        kind: str,
    ) -> None:
        """As after milestones and assessments: a session or a programme may not begin before
        the child's birth, however the birth date gets there."""
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        practitioner = await seed_practitioner(app, tenant_a)
        exercise = {"exercise_id": str((await seed_exercise(app, tenant_a)).id), "repetitions": 5}
        if kind == "session_record":
            url, body = (
                "/v1/session-records",
                {
                    "practitioner_id": str(practitioner.id),
                    "type": "dmi",
                    "setting": "clinic",
                    "started_at": "2024-09-01T09:00:00+02:00",
                    "duration_minutes": 45,
                    "exercises": [exercise],
                },
            )
        else:
            url, body = (
                "/v1/prescriptions",
                {
                    "prescriber_id": str(practitioner.id),
                    "setting": "home",
                    "period_start": "2024-09-15",
                    "items": [exercise],
                },
            )
        made = await client.post(url, json={"child_id": row["id"], **body}, headers=headers)
        assert made.status_code == 201, made.text
        path, match = f"{URL}/{row['id']}", {**headers, "If-Match": '"1"'}
        later = await client.patch(path, json={"birth_date": "2024-10-01"}, headers=match)
        assert later.status_code == 422
        assert [(e["pointer"], e["code"]) for e in later.json()["errors"]] == [
            ("#/birth_date", "records_before_birth")
        ]
        # The day it began is still a birth date it may follow.
        on_the_day = "2024-09-01" if kind == "session_record" else "2024-09-15"
        same_day = await client.patch(path, json={"birth_date": on_the_day}, headers=match)
        assert same_day.status_code == 200, same_day.text

    async def test_versions_keep_history(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        path = f"{URL}/{row['id']}"
        await client.patch(path, json={"status": "on_hold"}, headers={**headers, "If-Match": '"1"'})
        versions = (await client.get(f"{path}/versions", headers=headers)).json()["data"]
        assert [v["version"] for v in versions] == [1, 2]
        assert [v["resource"]["status"] for v in versions] == ["active", "on_hold"]
        assert versions[0]["resource"]["caregivers"] == NEW["caregivers"]

    async def test_reads_and_writes_are_audited_with_the_child(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        row = (await create(client, headers)).json()
        await client.get(f"{URL}/{row['id']}", headers=headers)
        events = (
            await client.get("/v1/audit-events", params={"child_id": row["id"]}, headers=headers)
        ).json()["data"]
        assert {(e["action"], e["resource_type"]) for e in events} >= {
            ("create", "child"),
            ("read", "child"),
        }


class TestUpsertByExternalId:
    PATH = f"{URL}/by-external-id/MRN-9"
    BODY: ClassVar[dict[str, Any]] = {k: v for k, v in NEW.items() if k != "external_id"}

    async def test_no_token_and_wrong_scope(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        assert (await client.put(self.PATH, json=self.BODY)).status_code == 401
        headers = await headers_for(tenant_a, "children:read")
        assert (await client.put(self.PATH, json=self.BODY, headers=headers)).status_code == 403

    async def test_creates_then_replaces_with_if_match(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        created = await client.put(self.PATH, json=self.BODY, headers=headers)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["external_id"] == "MRN-9"
        assert created.headers["location"] == f"{URL}/{body['id']}"
        assert created.headers["etag"] == '"1"'

        replacement = {
            "given_name": "Mia",
            "family_name": "Lopez-Diaz",
            "birth_date": "2024-03-01",
            "sex": "female",
            "status": "on_hold",
        }
        missing = await client.put(self.PATH, json=replacement, headers=headers)
        assert missing.status_code == 428
        replaced = await client.put(
            self.PATH, json=replacement, headers={**headers, "If-Match": '"1"'}
        )
        assert replaced.status_code == 200, replaced.text
        assert replaced.headers["etag"] == '"2"'
        new = replaced.json()
        assert new["id"] == body["id"]
        assert new["family_name"] == "Lopez-Diaz"
        # A replacement clears what it omits.
        assert new["caregivers"] == new["diagnoses"] == []
        assert new["preferred_name"] is None
        assert new["gestational_age_weeks"] is None
        assert new["external_id"] == "MRN-9"

        stale = await client.put(self.PATH, json=self.BODY, headers={**headers, "If-Match": '"1"'})
        assert stale.status_code == 412
        got = (await client.get(f"{URL}/{body['id']}", headers=headers)).json()
        assert same(got, new)
        history = await client.get(f"{URL}/{body['id']}/versions", headers=headers)
        versions = history.json()["data"]
        assert [v["version"] for v in versions] == [1, 2]

    async def test_if_match_on_the_create_path_is_412(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        for tag in ('"1"', "*"):
            response = await client.put(
                self.PATH, json=self.BODY, headers={**headers, "If-Match": tag}
            )
            assert response.status_code == 412
        assert (await client.get(URL, headers=headers)).json()["data"] == []

    @pytest.mark.parametrize(
        ("payload", "pointer"),
        [
            ({k: v for k, v in BODY.items() if k != "status"}, "#/status"),
            ({k: v for k, v in BODY.items() if k != "sex"}, "#/sex"),
            ({**BODY, "external_id": "MRN-10"}, "#/external_id"),
            ({**BODY, "birth_date": FUTURE}, "#/birth_date"),
            ({**BODY, "gestational_age_weeks": None}, "#/gestational_age_days"),
            ({**BODY, "id": str(uuid.uuid4())}, "#/id"),
        ],
    )
    async def test_bad_input(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        payload: dict[str, object],
        pointer: str,
    ) -> None:
        headers = await headers_for(tenant_a)
        assert pointer in pointers(await client.put(self.PATH, json=payload, headers=headers))
        assert (await client.get(URL, headers=headers)).json()["data"] == []

    async def test_bad_external_id_in_path_is_422(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        response = await client.put(f"{URL}/by-external-id/a%20b", json=self.BODY, headers=headers)
        assert "#/external_id" in pointers(response)

    async def test_matching_external_id_in_the_body_is_accepted(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        body = {**self.BODY, "external_id": "MRN-9"}
        assert (await client.put(self.PATH, json=body, headers=headers)).status_code == 201

    async def test_a_deleted_child_is_revived_under_its_id(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        first = (await client.put(self.PATH, json=self.BODY, headers=headers)).json()
        deleted = await client.delete(
            f"{URL}/{first['id']}", headers={**headers, "If-Match": '"1"'}
        )
        assert deleted.status_code == 204
        revived = await client.put(self.PATH, json=self.BODY, headers=headers)
        assert revived.status_code == 201
        body = revived.json()
        assert body["id"] == first["id"]
        assert body["version"] == 3
        assert body["deleted_at"] is None
        assert (await client.get(f"{URL}/{first['id']}", headers=headers)).status_code == 200
        history = await client.get(f"{URL}/{first['id']}/versions", headers=headers)
        versions = history.json()["data"]
        assert [v["resource"]["deleted_at"] is None for v in versions] == [True, False, True]

    async def test_other_clinics_are_untouched(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        headers_a = await headers_for(tenant_a)
        mine = (await client.put(self.PATH, json=self.BODY, headers=headers_a)).json()
        headers_b = await headers_for(tenant_b)
        theirs = await client.put(
            self.PATH, json={**self.BODY, "given_name": "B"}, headers=headers_b
        )
        assert theirs.status_code == 201
        assert theirs.json()["id"] != mine["id"]
        assert same((await client.get(f"{URL}/{mine['id']}", headers=headers_a)).json(), mine)

    async def test_idempotency_key_replays_either_branch(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        keyed = {**headers, "Idempotency-Key": "upsert-1"}
        first = await client.put(self.PATH, json=self.BODY, headers=keyed)
        again = await client.put(self.PATH, json=self.BODY, headers=keyed)
        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert first.json() == again.json()
        assert len((await client.get(URL, headers=headers)).json()["data"]) == 1
        update = {**headers, "If-Match": '"1"', "Idempotency-Key": "upsert-2"}
        changed = {**self.BODY, "status": "discharged"}
        one = await client.put(self.PATH, json=changed, headers=update)
        two = await client.put(self.PATH, json=changed, headers=update)
        assert one.status_code == two.status_code == 200
        assert two.json()["version"] == 2
        other = await client.put(self.PATH, json=self.BODY, headers=update)
        assert other.status_code == 422


@pytest.mark.usefixtures("serving_path")
class TestListsAndSync:
    async def test_no_token_and_wrong_scope(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        assert (await client.get(URL)).status_code == 401
        headers = await headers_for(tenant_a, "children:write")
        assert (await client.get(URL, headers=headers)).status_code == 403

    async def test_other_clinics_rows_are_not_listed(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        await seed_child(app, tenant_b)
        mine = await seed_child(app, tenant_a)
        listed = (await client.get(URL, headers=await headers_for(tenant_a))).json()["data"]
        assert [row["id"] for row in listed] == [str(mine.id)]

    async def test_pages_stay_stable_with_inserts_in_between(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        for index in range(5):
            await create(client, headers, external_id=f"MRN-{index}")
        first = await client.get(URL, params={"limit": 2, "sort": "-created_at"}, headers=headers)
        page = first.json()
        assert 'rel="next"' in first.headers["link"]
        await create(client, headers, external_id="MRN-late")
        seen = [row["id"] for row in page["data"]]
        cursor = page["next_cursor"]
        while cursor:
            page = (
                await client.get(
                    URL,
                    params={"limit": 2, "sort": "-created_at", "cursor": cursor},
                    headers=headers,
                )
            ).json()
            seen += [row["id"] for row in page["data"]]
            cursor = page["next_cursor"]
        # Newest first: the late insert sorts before the cursor and is not repeated or mixed in.
        assert len(seen) == len(set(seen)) == 5

    async def test_tampered_or_foreign_cursor_is_422(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        for index in range(3):
            await create(client, headers, external_id=f"MRN-{index}")
        cursor = (await client.get(URL, params={"limit": 1}, headers=headers)).json()["next_cursor"]
        flipped = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
        for params in ({"cursor": flipped}, {"cursor": cursor, "status": "active"}):
            response = await client.get(URL, params={"limit": 1, **params}, headers=headers)
            assert pointers(response) == ["#/cursor"]

    async def test_updated_since_includes_tombstones(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        since = datetime.now(UTC).isoformat()
        kept = (await create(client, headers, external_id="keep")).json()
        gone = (await create(client, headers, external_id="gone")).json()
        deleted = await client.delete(f"{URL}/{gone['id']}", headers={**headers, "If-Match": '"1"'})
        assert deleted.status_code == 204
        assert (await client.get(f"{URL}/{gone['id']}", headers=headers)).status_code == 404
        live = {r["id"] for r in (await client.get(URL, headers=headers)).json()["data"]}
        assert live == {kept["id"]}
        feed = (await client.get(URL, params={"updated_since": since}, headers=headers)).json()
        by_id = {r["id"]: r for r in feed["data"]}
        assert set(by_id) == {kept["id"], gone["id"]}
        assert by_id[gone["id"]]["deleted_at"] is not None
        assert by_id[kept["id"]]["deleted_at"] is None

    async def test_filters(
        self, client: httpx.AsyncClient, tenant_a: TenantClient, headers_for: Headers
    ) -> None:
        headers = await headers_for(tenant_a)
        await create(client, headers, external_id="a", birth_date="2020-01-01")
        await create(client, headers, external_id="b", birth_date="2022-06-15", status="on_hold")
        await create(client, headers, external_id="c", birth_date="2024-12-31")

        async def ids(**params: str) -> list[str]:
            response = await client.get(
                URL, params={**params, "sort": "created_at"}, headers=headers
            )
            return [row["external_id"] for row in response.json()["data"]]

        assert await ids(status="on_hold") == ["b"]
        assert await ids(external_id="c") == ["c"]
        assert await ids(birth_date_from="2022-06-15") == ["b", "c"]
        # `to` is exclusive, as everywhere in the API: born on 2022-06-15 is not before it.
        assert await ids(birth_date_to="2022-06-15") == ["a"]
        assert await ids(birth_date_to="2022-06-16") == ["a", "b"]
        assert await ids(birth_date_from="2021-01-01", birth_date_to="2023-01-01") == ["b"]

    @pytest.mark.parametrize(
        ("params", "pointer"),
        [
            ({"limit": 201}, "#/limit"),
            ({"limit": 0}, "#/limit"),
            ({"sort": "family_name"}, "#/sort"),
            ({"updated_since": "soon"}, "#/updated_since"),
            ({"status": "gone"}, "#/status"),
            ({"birth_date_from": "2024-01-02", "birth_date_to": "2024-01-01"}, "#/birth_date_to"),
        ],
    )
    async def test_bad_params(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        params: dict[str, str | int],
        pointer: str,
    ) -> None:
        headers = await headers_for(tenant_a)
        assert pointer in pointers(await client.get(URL, params=params, headers=headers))


class TestUpsertRace:
    async def test_concurrent_creates_make_one_child(
        self, live_app: FastAPI, live_client: httpx.AsyncClient
    ) -> None:
        tenant = await make_tenant(live_app)
        headers = bearer(await mint_token(live_app, tenant))
        path = f"{URL}/by-external-id/MRN-race-{uuid.uuid4().hex[:8]}"
        body = {k: v for k, v in NEW.items() if k != "external_id"}
        responses = await asyncio.gather(
            *(live_client.put(path, json=body, headers=headers) for _ in range(5))
        )
        statuses = sorted(r.status_code for r in responses)
        # The losers find the winner's child, as they would a moment later: a replacement
        # without If-Match (428), on both backends; never the unique constraint's 409.
        assert statuses == [201, 428, 428, 428, 428], [r.text for r in responses]
        listed = (await live_client.get(URL, headers=headers)).json()["data"]
        assert len(listed) == 1


@pytest.mark.usefixtures("serving_path")
class TestNameSearch:
    """`given_name` / `family_name`: a case-insensitive prefix, on both serving paths."""

    NAMES: ClassVar[list[tuple[str, str]]] = [
        ("Mia", "Lopez"),
        ("mila", "LOPEZ-DIAZ"),
        ("Ana", "Lo_pez"),
        ("Ana", "Lo%ez"),
        ("Noah", "Park"),
    ]

    async def _seed(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        for index, (given, family) in enumerate(self.NAMES):
            await create(
                client, headers, given_name=given, family_name=family, external_id=f"MRN-n{index}"
            )

    async def _names(
        self, client: httpx.AsyncClient, headers: dict[str, str], **params: str
    ) -> list[str]:
        response = await client.get(URL, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return sorted(
            f"{row['given_name']} {row['family_name']}" for row in response.json()["data"]
        )

    async def test_prefix_any_case(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        tenant_b: TenantClient,
        headers_for: Headers,
    ) -> None:
        headers = await headers_for(tenant_a, "children:read", "children:write")
        await self._seed(client, headers)
        # Another clinic's namesakes are never found.
        await self._seed(client, await headers_for(tenant_b, "children:read", "children:write"))
        assert await self._names(client, headers, given_name="MI") == [
            "Mia Lopez",
            "mila LOPEZ-DIAZ",
        ]
        assert await self._names(client, headers, family_name="lopez") == [
            "Mia Lopez",
            "mila LOPEZ-DIAZ",
        ]
        assert await self._names(client, headers, given_name="mia", family_name="lo") == [
            "Mia Lopez"
        ]
        assert await self._names(client, headers, family_name="ark") == []

    async def test_wildcards_are_literal(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        headers = await headers_for(tenant_a, "children:read", "children:write")
        await self._seed(client, headers)
        assert await self._names(client, headers, family_name="Lo_") == ["Ana Lo_pez"]
        assert await self._names(client, headers, family_name="lo%") == ["Ana Lo%ez"]
        assert await self._names(client, headers, family_name="%") == []

    async def test_bad_input_is_422(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        headers = await headers_for(tenant_a)
        for params in ({"given_name": ""}, {"family_name": "x" * 101}):
            response = await client.get(URL, params=params, headers=headers)
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"

    async def test_the_cursor_is_bound_to_the_search(
        self,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        headers = await headers_for(tenant_a, "children:read", "children:write")
        await self._seed(client, headers)
        first = await client.get(URL, params={"family_name": "lo", "limit": 1}, headers=headers)
        cursor = first.json()["next_cursor"]
        assert cursor is not None
        other = await client.get(
            URL, params={"family_name": "p", "limit": 1, "cursor": cursor}, headers=headers
        )
        assert other.status_code == 422
        assert other.json()["errors"][0]["code"] == "cursor_invalid"
