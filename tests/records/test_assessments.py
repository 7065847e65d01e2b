"""/v1/assessments: instruments administered to a child, checked against the item catalogue."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.records.conftest import Headers, headers_maker
from tests.support.records import seed_child, seed_practitioner
from tests.support.tenants import TenantClient, make_tenant

URL = "/v1/assessments"
GMFM88 = {str(n): n % 4 for n in range(1, 89)}


@dataclass(frozen=True)
class Clinic:
    """One clinic's seeded rows and a header holding every scope."""

    tenant: TenantClient
    headers: dict[str, str]
    child_id: str
    assessor_id: str

    def new(self, **fields: Any) -> dict[str, Any]:
        return {
            "child_id": self.child_id,
            "assessor_id": self.assessor_id,
            "instrument": "gmfm88",
            "performed_on": "2025-03-04",
            "items": {"1": 3, "2": 2, "18": 1, "52": "NT"},
            "goal_dimensions": ["B", "C"],
            "notes": "On the floor mat.",
            **fields,
        }


async def _clinic(app: FastAPI, tenant: TenantClient, headers_for: Headers) -> Clinic:
    child = await seed_child(app, tenant, birth_date=date(2024, 3, 1))
    assessor = await seed_practitioner(app, tenant)
    return Clinic(tenant, await headers_for(tenant), str(child.id), str(assessor.id))


@pytest.fixture
async def clinic(app: FastAPI, tenant_a: TenantClient, headers_for: Headers) -> Clinic:
    return await _clinic(app, tenant_a, headers_for)


@pytest.fixture
async def other(app: FastAPI, tenant_b: TenantClient, headers_for: Headers) -> Clinic:
    return await _clinic(app, tenant_b, headers_for)


async def create(client: httpx.AsyncClient, clinic: Clinic, **fields: Any) -> dict[str, Any]:
    response = await client.post(URL, json=clinic.new(**fields), headers=clinic.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def if_match(clinic: Clinic, row: dict[str, Any]) -> dict[str, str]:
    return {**clinic.headers, "If-Match": f'"{row["version"]}"'}


async def patch(
    client: httpx.AsyncClient, clinic: Clinic, row: dict[str, Any], body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(f"{URL}/{row['id']}", json=body, headers=if_match(clinic, row))


async def listed(client: httpx.AsyncClient, clinic: Clinic, **params: Any) -> list[str]:
    response = await client.get(URL, params=params, headers=clinic.headers)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


def pointers(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["pointer"] for e in response.json()["errors"]]


class TestCreate:
    async def test_no_token(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        assert (await client.post(URL, json=clinic.new())).status_code == 401

    async def test_wrong_scope(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        headers = await headers_for(clinic.tenant, "assessments:read", "sessions:write")
        assert (await client.post(URL, json=clinic.new(), headers=headers)).status_code == 403

    @pytest.mark.parametrize(
        ("fields", "pointer"),
        [
            ({"instrument": "bayley"}, "#/instrument"),
            ({"performed_on": "2024-02-29"}, "#/performed_on"),
            ({"performed_on": (date.today() + timedelta(days=3)).isoformat()}, "#/performed_on"),
            ({"performed_on": "someday"}, "#/performed_on"),
            ({"status": "signed"}, "#/status"),
            ({"goal_dimensions": ["F"]}, "#/goal_dimensions/0"),
            ({"goal_dimensions": ["A", "A"]}, "#/goal_dimensions"),
            ({"notes": "x" * 10_001}, "#/notes"),
            ({"notes": "a\u0000b"}, "#/notes"),
            ({"items": {"1": "a\u0000"}}, "#/items/1"),
            ({"scores": {"total": 50}}, "#/scores"),
            ({"id": str(uuid.uuid4())}, "#/id"),
            ({"version": 2}, "#/version"),
            ({"child_id": str(uuid.uuid4())}, "#/child_id"),
            ({"assessor_id": str(uuid.uuid4())}, "#/assessor_id"),
            ({"entered": {"gmae_score": 50}}, "#/entered/gmae_score"),
            ({"items": {str(n): 1 for n in range(301)}}, "#/items"),
        ],
    )
    async def test_bad_input(
        self, client: httpx.AsyncClient, clinic: Clinic, fields: dict[str, Any], pointer: str
    ) -> None:
        response = await client.post(URL, json=clinic.new(**fields), headers=clinic.headers)
        assert pointer in pointers(response)

    @pytest.mark.parametrize(
        ("instrument", "items", "pointer"),
        [
            ("gmfm88", {"89": 1}, "#/items/89"),
            ("gmfm88", {"0": 1}, "#/items/0"),
            ("gmfm88", {"A1": 1}, "#/items/A1"),
            ("gmfm88", {"1": 4}, "#/items/1"),
            ("gmfm88", {"1": -1}, "#/items/1"),
            ("gmfm88", {"1": "3"}, "#/items/1"),
            ("gmfm88", {"1": 2.5}, "#/items/1"),
            ("gmfm88", {"1": True}, "#/items/1"),
            ("gmfm88", {"1": None}, "#/items/1"),
            ("gmfm88", {"1": "nt"}, "#/items/1"),
            ("gmfm66", {"89": 1}, "#/items/89"),
            ("gmfm66", {"5": 9}, "#/items/5"),
            ("aims", {"prone-22": 1}, "#/items/prone-22"),
            ("aims", {"supine-10": 0}, "#/items/supine-10"),
            ("aims", {"crawling-1": 0}, "#/items/crawling-1"),
            ("aims", {"sitting-3": 2}, "#/items/sitting-3"),
            ("hine", {"27": 1}, "#/items/27"),
            ("hine", {"3": 4}, "#/items/3"),
            ("pdms2", {"reflexes-9": 1}, "#/items/reflexes-9"),
            ("pdms2", {"locomotion-90": 1}, "#/items/locomotion-90"),
            ("pdms2", {"grasping-1": 3}, "#/items/grasping-1"),
            ("pdms2", {"body_control-1": 1}, "#/items/body_control-1"),
            ("pdms3", {"body_control-61": 1}, "#/items/body_control-61"),
            ("pdms3", {"reflexes-1": 1}, "#/items/reflexes-1"),
            ("pdms3", {"object_control-2": 3}, "#/items/object_control-2"),
            ("gmfcs", {"1": 1}, "#/items/1"),
            ("feas", {"61": 1}, "#/items/61"),
            ("feas", {"4": 3}, "#/items/4"),
            ("custom", {"has space": 1}, "#/items/has space"),
            ("custom", {"x" * 65: 1}, "#/items/" + "x" * 65),
            ("custom", {"score": 101}, "#/items/score"),
            ("custom", {"score": -0.5}, "#/items/score"),
            ("custom", {"score": "y" * 51}, "#/items/score"),
            ("custom", {"score": ""}, "#/items/score"),
            ("dmi_evaluation", {"rom/hip~l": 10}, "#/items/rom~1hip~0l"),
            ("dmi_evaluation", {"tone": [1]}, "#/items/tone"),
        ],
    )
    async def test_unknown_items_and_out_of_range_scores(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        instrument: str,
        items: dict[str, Any],
        pointer: str,
    ) -> None:
        payload = clinic.new(instrument=instrument, items=items, goal_dimensions=[])
        response = await client.post(URL, json=payload, headers=clinic.headers)
        assert pointers(response) == [pointer]
        assert (
            "item" in response.json()["errors"][0]["code"]
            or "score" in (response.json()["errors"][0]["code"])
        )

    @pytest.mark.parametrize(
        ("instrument", "items", "entered"),
        [
            ("gmfm88", GMFM88, {}),
            ("gmfm66", {"1": 3, "88": "NT"}, {"gmae_score": 55.2, "standard_error": 1.1}),
            (
                "gmfm66",
                {},
                {"gmae_score": 55.2, "standard_error": 1.1, "ci95_low": 53.0, "ci95_high": 57.4},
            ),
            ("aims", {"prone-21": 1, "supine-9": 0, "sitting-12": 1, "standing-16": 0}, {}),
            ("aims", {"prone-1": 1}, {"percentile": 25}),
            ("hine", {str(n): 3 for n in range(1, 27)}, {}),
            ("pdms2", {"reflexes-8": 2, "visual_motor_integration-72": 0}, {"gmq": 85}),
            (
                "pdms2",
                {"locomotion-89": 1},
                {"standard_scores": {"locomotion": 7}, "gmq": 35, "fmq": 165, "tmq": 100},
            ),
            ("pdms3", {"physical_fitness-60": 2, "eye_hand_coordination-1": 1}, {"tmq": 90}),
            ("gmfcs", {}, {"level": 3}),
            ("feas", {"60": 2, "1": 0}, {}),
            ("dmi_evaluation", {"hip.rom_left": 35, "head-control": "emerging"}, {"sessions": 8}),
            ("custom", {"score": 99.5, "X_1": "ok"}, {}),
        ],
    )
    async def test_valid_per_instrument(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        instrument: str,
        items: dict[str, Any],
        entered: dict[str, Any],
    ) -> None:
        row = await create(
            client, clinic, instrument=instrument, items=items, entered=entered, goal_dimensions=[]
        )
        assert row["items"] == items
        assert row["entered"] == entered
        assert row["scores"] is None

    @pytest.mark.parametrize(
        ("instrument", "entered", "pointer"),
        [
            ("gmfm66", {"gmae_score": 101}, "#/entered/gmae_score"),
            ("gmfm66", {"gmae_score": 50, "standard_error": -1}, "#/entered/standard_error"),
            ("gmfm66", {"gmae_score": 50, "ci95_low": 51, "ci95_high": 60}, "#/entered/ci95_low"),
            ("gmfm66", {"gmae_score": 50, "ci95_low": 40, "ci95_high": 49}, "#/entered/ci95_high"),
            ("gmfm66", {"percent": 50}, "#/entered/percent"),
            ("pdms2", {"gmq": 34}, "#/entered/gmq"),
            ("pdms2", {"tmq": 166}, "#/entered/tmq"),
            (
                "pdms2",
                {"standard_scores": {"locomotion": 21}},
                "#/entered/standard_scores/locomotion",
            ),
            ("pdms3", {"fmq": 20}, "#/entered/fmq"),
            ("gmfcs", {"level": 6}, "#/entered/level"),
            ("gmfcs", {"level": "VI"}, "#/entered/level"),
            ("gmfcs", {"level": True}, "#/entered/level"),
            ("aims", {"percentile": 101}, "#/entered/percentile"),
            ("gmfm88", {"total": 50}, "#/entered/total"),
            ("hine", {"global": 70}, "#/entered/global"),
        ],
    )
    async def test_bad_entered_values(
        self,
        client: httpx.AsyncClient,
        clinic: Clinic,
        instrument: str,
        entered: dict[str, Any],
        pointer: str,
    ) -> None:
        payload = clinic.new(instrument=instrument, items={}, goal_dimensions=[], entered=entered)
        response = await client.post(URL, json=payload, headers=clinic.headers)
        assert pointer in pointers(response)

    async def test_gmfcs_levels(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        roman = await create(
            client,
            clinic,
            instrument="gmfcs",
            items={},
            goal_dimensions=[],
            entered={"level": "IV"},
        )
        assert roman["entered"] == {"level": 4}
        missing = clinic.new(instrument="gmfcs", items={}, goal_dimensions=[], status="final")
        response = await client.post(URL, json=missing, headers=clinic.headers)
        assert pointers(response) == ["#/entered/level"]

    async def test_goal_dimensions_only_for_gmfm(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        payload = clinic.new(instrument="aims", items={}, goal_dimensions=["A"])
        response = await client.post(URL, json=payload, headers=clinic.headers)
        assert pointers(response) == ["#/goal_dimensions"]
        row = await create(client, clinic, instrument="gmfm66", goal_dimensions=["D", "E"])
        assert row["goal_dimensions"] == ["D", "E"]

    async def test_on_the_birth_date_is_accepted(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic, performed_on="2024-03-01")
        assert row["performed_on"] == "2024-03-01"
        before = await client.post(
            URL, json=clinic.new(performed_on="2024-02-29"), headers=clinic.headers
        )
        assert before.json()["errors"][0]["code"] == "before_birth"

    async def test_another_clinics_references_look_like_missing_ones(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic
    ) -> None:
        payload = clinic.new(child_id=other.child_id, assessor_id=other.assessor_id)
        theirs = await client.post(URL, json=payload, headers=clinic.headers)
        assert pointers(theirs) == ["#/child_id", "#/assessor_id"]
        missing = await client.post(
            URL,
            json=clinic.new(child_id=str(uuid.uuid4()), assessor_id=str(uuid.uuid4())),
            headers=clinic.headers,
        )
        assert theirs.json()["errors"] == missing.json()["errors"]

    async def test_success(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        response = await client.post(URL, json=clinic.new(), headers=clinic.headers)
        assert response.status_code == 201
        body = response.json()
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"{URL}/{body['id']}"
        expected = clinic.new()
        assert {k: body[k] for k in expected} == expected
        assert body["status"] == "draft"
        assert body["entered"] == {}
        assert body["scores"] is None


class TestAtomicityAndIdempotency:
    async def test_full_gmfm_with_one_bad_score_stores_nothing(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        items: dict[str, Any] = {**GMFM88, "64": 7}
        response = await client.post(URL, json=clinic.new(items=items), headers=clinic.headers)
        assert pointers(response) == ["#/items/64"]
        assert await listed(client, clinic) == []
        row = await create(client, clinic, items=GMFM88, status="final")
        assert len(row["items"]) == 88

    async def test_replay_and_reuse(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        keyed = {**clinic.headers, "Idempotency-Key": "gmfm-1"}
        first = await client.post(URL, json=clinic.new(), headers=keyed)
        second = await client.post(URL, json=clinic.new(), headers=keyed)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"
        other = await client.post(URL, json=clinic.new(notes="Other"), headers=keyed)
        assert other.status_code == 422
        assert other.json()["errors"][0]["code"] == "idempotency_key_reused"
        assert await listed(client, clinic) == [first.json()["id"]]

    @pytest.mark.postgres_only
    async def test_concurrent_requests_with_one_key_make_one_row(
        self, live_app: FastAPI, live_client: httpx.AsyncClient
    ) -> None:
        tenant = await make_tenant(live_app)
        # Minted and seeded by the live app: its rows are committed, the rolled-back app's are not.
        clinic = await _clinic(live_app, tenant, headers_maker(live_app))
        keyed = {**clinic.headers, "Idempotency-Key": f"race-{uuid.uuid4()}"}
        responses = await asyncio.gather(
            *(live_client.post(URL, json=clinic.new(), headers=keyed) for _ in range(5))
        )
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {201, 409}, statuses
        assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
        listed = await live_client.get(URL, headers=clinic.headers)
        assert len(listed.json()["data"]) == 1


class TestReadAndConditional:
    async def test_scopes(
        self, client: httpx.AsyncClient, clinic: Clinic, headers_for: Headers
    ) -> None:
        row = await create(client, clinic)
        path = f"{URL}/{row['id']}"
        assert (await client.get(path)).status_code == 401
        write_only = await headers_for(clinic.tenant, "assessments:write")
        for url in (path, URL, f"{path}/versions"):
            assert (await client.get(url, headers=write_only)).status_code == 403
        read_only = await headers_for(clinic.tenant, "assessments:read")
        assert (await client.get(path, headers=read_only)).status_code == 200
        for method in ("PATCH", "DELETE"):
            response = await client.request(
                method, path, json={"notes": "x"}, headers={**read_only, "If-Match": '"1"'}
            )
            assert response.status_code == 403

    async def test_cross_clinic_is_404_like_missing(
        self, client: httpx.AsyncClient, clinic: Clinic, other: Clinic
    ) -> None:
        row = await create(client, clinic)
        theirs = await client.get(f"{URL}/{row['id']}", headers=other.headers)
        missing = await client.get(f"{URL}/{uuid.uuid4()}", headers=other.headers)
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json()["detail"] == missing.json()["detail"]
        for method, suffix in (("PATCH", ""), ("DELETE", ""), ("GET", "/versions")):
            response = await client.request(
                method,
                f"{URL}/{row['id']}{suffix}",
                json={"notes": "x"} if method == "PATCH" else None,
                headers={**other.headers, "If-Match": '"1"'},
            )
            assert response.status_code == 404
        nested = await client.get(
            f"/v1/children/{clinic.child_id}/assessments", headers=other.headers
        )
        assert nested.status_code == 404
        unchanged = (await client.get(f"{URL}/{row['id']}", headers=clinic.headers)).json()
        assert unchanged["version"] == 1

    async def test_etag_304_428_412(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        row = await create(client, clinic)
        path = f"{URL}/{row['id']}"
        got = await client.get(path, headers=clinic.headers)
        assert got.headers["etag"] == '"1"'
        cached = await client.get(path, headers={**clinic.headers, "If-None-Match": '"1"'})
        assert cached.status_code == 304
        assert cached.content == b""
        without = await client.patch(path, json={"notes": "B"}, headers=clinic.headers)
        assert without.status_code == 428
        updated = await patch(client, clinic, row, {"notes": "B"})
        assert updated.status_code == 200
        assert updated.headers["etag"] == '"2"'
        stale = await patch(client, clinic, row, {"notes": "C"})
        assert stale.status_code == 412
        assert (await client.get(path, headers=clinic.headers)).json()["notes"] == "B"
        assert (await client.delete(path, headers=if_match(clinic, row))).status_code == 412
        assert (await client.delete(path, headers=clinic.headers)).status_code == 428


class TestPatch:
    async def test_items_are_checked_against_the_instrument(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic)
        bad = await patch(client, clinic, row, {"items": {**GMFM88, "12": 5}})
        assert pointers(bad) == ["#/items/12"]
        good = await patch(client, clinic, row, {"items": GMFM88, "goal_dimensions": ["A"]})
        assert good.status_code == 200, good.text
        assert good.json()["items"] == GMFM88
        assert good.json()["goal_dimensions"] == ["A"]

    @pytest.mark.parametrize(
        ("body", "pointer"),
        [
            ({"instrument": "aims"}, "#/instrument"),
            ({"child_id": str(uuid.uuid4())}, "#/child_id"),
            ({"items": None}, "#/items"),
            ({"status": None}, "#/status"),
            ({"performed_on": "2023-01-01"}, "#/performed_on"),
            ({"assessor_id": str(uuid.uuid4())}, "#/assessor_id"),
            ({"entered": {"level": 2}}, "#/entered/level"),
            ({"scores": {}}, "#/scores"),
        ],
    )
    async def test_bad_patch_changes_nothing(
        self, client: httpx.AsyncClient, clinic: Clinic, body: dict[str, Any], pointer: str
    ) -> None:
        row = await create(client, clinic)
        assert pointer in pointers(await patch(client, clinic, row, body))
        now = (await client.get(f"{URL}/{row['id']}", headers=clinic.headers)).json()
        assert now["version"] == 1
        assert now["items"] == row["items"]

    async def test_final_never_returns_to_draft(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic)
        final = await patch(client, clinic, row, {"status": "final"})
        assert final.status_code == 200
        back = await patch(client, clinic, final.json(), {"status": "draft"})
        assert pointers(back) == ["#/status"]
        assert back.json()["errors"][0]["code"] == "invalid_transition"
        again = await patch(client, clinic, final.json(), {"status": "final", "notes": "ok"})
        assert again.status_code == 200

    async def test_gmfcs_final_needs_a_level(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        row = await create(client, clinic, instrument="gmfcs", items={}, goal_dimensions=[])
        assert pointers(await patch(client, clinic, row, {"status": "final"})) == [
            "#/entered/level"
        ]
        done = await patch(client, clinic, row, {"status": "final", "entered": {"level": "II"}})
        assert done.json()["entered"] == {"level": 2}


class TestVersions:
    async def test_history(self, client: httpx.AsyncClient, clinic: Clinic) -> None:
        row = await create(client, clinic)
        second = (await patch(client, clinic, row, {"items": {"1": 1}})).json()
        await client.delete(f"{URL}/{row['id']}", headers=if_match(clinic, second))
        assert (
            await client.get(f"{URL}/{row['id']}/versions", headers=clinic.headers)
        ).status_code == 404
        restored = await create(client, clinic)
        await patch(client, clinic, restored, {"status": "final"})
        versions = (
            await client.get(f"{URL}/{restored['id']}/versions", headers=clinic.headers)
        ).json()["data"]
        assert [v["version"] for v in versions] == [1, 2]
        assert [v["resource"]["status"] for v in versions] == ["draft", "final"]
        assert versions[0]["resource"]["items"] == clinic.new()["items"]
        assert "scores" in versions[0]["resource"]


class TestListsAndSync:
    async def test_pages_stay_stable_with_inserts_in_between(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        for _ in range(5):
            await create(client, clinic)
        first = await client.get(
            URL, params={"limit": 2, "sort": "created_at"}, headers=clinic.headers
        )
        page = first.json()
        assert 'rel="next"' in first.headers["link"]
        await create(client, clinic)
        seen = [row["id"] for row in page["data"]]
        cursor = page["next_cursor"]
        while cursor:
            page = (
                await client.get(
                    URL,
                    params={"limit": 2, "sort": "created_at", "cursor": cursor},
                    headers=clinic.headers,
                )
            ).json()
            seen += [row["id"] for row in page["data"]]
            cursor = page["next_cursor"]
        assert len(seen) == len(set(seen)) == 6

    async def test_tampered_or_rebound_cursor_is_422(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        for _ in range(3):
            await create(client, clinic)
        page = (await client.get(URL, params={"limit": 1}, headers=clinic.headers)).json()
        cursor = page["next_cursor"]
        flipped = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
        for params in ({"cursor": flipped}, {"cursor": cursor, "instrument": "aims"}):
            response = await client.get(URL, params={"limit": 1, **params}, headers=clinic.headers)
            assert response.status_code == 422

    async def test_updated_since_includes_tombstones(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        since = datetime.now(UTC).isoformat()
        kept = await create(client, clinic)
        gone = await create(client, clinic)
        path = f"{URL}/{gone['id']}"
        assert (await client.delete(path, headers=if_match(clinic, gone))).status_code == 204
        assert (await client.get(path, headers=clinic.headers)).status_code == 404
        assert await listed(client, clinic) == [kept["id"]]
        feed = (
            await client.get(URL, params={"updated_since": since}, headers=clinic.headers)
        ).json()["data"]
        by_id = {row["id"]: row for row in feed}
        assert set(by_id) == {kept["id"], gone["id"]}
        assert by_id[gone["id"]]["deleted_at"] is not None
        assert by_id[kept["id"]]["deleted_at"] is None

    async def test_filters_and_nested_list(
        self, app: FastAPI, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        sibling = await seed_child(app, clinic.tenant, given_name="Leo")
        march = await create(client, clinic, performed_on="2025-03-01")
        april = await create(client, clinic, performed_on="2025-04-01")
        aims = await create(
            client,
            clinic,
            child_id=str(sibling.id),
            instrument="aims",
            items={"prone-1": 1},
            goal_dimensions=[],
            performed_on="2025-03-15",
        )
        assert set(await listed(client, clinic, child_id=clinic.child_id)) == {
            march["id"],
            april["id"],
        }
        assert await listed(client, clinic, instrument="aims") == [aims["id"]]
        # `from` inclusive, `to` exclusive.
        window = {"from": "2025-03-01", "to": "2025-04-01"}
        assert set(await listed(client, clinic, **window)) == {march["id"], aims["id"]}
        nested = await client.get(f"/v1/children/{sibling.id}/assessments", headers=clinic.headers)
        assert [row["id"] for row in nested.json()["data"]] == [aims["id"]]
        for params in (
            {"limit": 201},
            {"sort": "performed_on"},
            {"instrument": "bayley"},
            {"from": "March"},
            {"updated_since": "soon"},
        ):
            response = await client.get(URL, params=params, headers=clinic.headers)
            assert response.status_code == 422, params


class TestAimsWindowCredit:
    """The AIMS manual's window credit through the API: a therapist who records only the window
    gets the true subscores, and a change of the window scores again."""

    async def test_the_window_alone_scores_what_the_manual_says(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        window = {
            **{f"prone-{n}": 1 for n in range(6, 10)},
            "prone-10": 0,
            **{f"supine-{n}": 1 for n in range(3, 6)},
        }
        row = await create(
            client, clinic, instrument="aims", items=window, goal_dimensions=[], status="final"
        )
        scores = row["scores"]
        assert scores["rule"] == "aims@piper-darrah-1994-r3"
        prone, supine = scores["positions"]["prone"], scores["positions"]["supine"]
        assert (prone["raw"], prone["observed"], prone["credited"]) == (9, 4, 5)
        assert prone["window"] == {"from_item": 6, "to_item": 9}
        assert (supine["raw"], supine["observed"], supine["credited"]) == (5, 3, 2)
        assert scores["positions"]["sitting"]["window"] is None
        assert scores["total"] == 14
        # The least mature item observed moves down: fewer credited, one more observed.
        changed = await patch(client, clinic, row, {"items": {**window, "prone-3": 1}})
        assert changed.status_code == 200, changed.text
        prone = changed.json()["scores"]["positions"]["prone"]
        assert (prone["raw"], prone["observed"], prone["credited"]) == (7, 5, 2)
        assert changed.json()["scores"]["total"] == 12


class TestPdmsBasalAndCeiling:
    async def test_the_basal_credits_and_the_ceiling_stops(
        self, client: httpx.AsyncClient, clinic: Clinic
    ) -> None:
        items = {
            **{f"locomotion-{n}": 2 for n in (20, 21, 22, 24)},
            "locomotion-23": 1,
            **{f"locomotion-{n}": 1 for n in range(25, 30)},
            **{f"locomotion-{n}": 0 for n in range(30, 33)},
            "locomotion-40": 2,  # past the ceiling: counts 0
            "grasping-10": 2,  # no basal, not begun at item 1: flagged
        }
        row = await create(
            client, clinic, instrument="pdms2", items=items, goal_dimensions=[], status="final"
        )
        subtests = row["scores"]["subtests"]
        assert row["scores"]["rule"] == "pdms2@2nd-ed-r2"
        assert subtests["locomotion"] == {
            "raw": 52,
            "items_scored": 14,
            "basal_item": 20,
            "ceiling_item": 30,
            "credited": 19,
            "past_ceiling": 1,
            "basal_established": True,
        }
        assert subtests["grasping"]["basal_established"] is False
        assert subtests["grasping"]["raw"] == 2
