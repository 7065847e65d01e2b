"""Valid FHIR (issue 16, point 3): a clinic whose records reach every FHIR mapping, built through
`/v1`, exported with `/fhir/R4/$export`; every resource and tombstone Bundle validated against
the FHIR structure definitions (fhir.resources, R4B models), every reference resolved within
the export, and no unmapped free text in any line."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fhir.resources.R4B import get_fhir_model_class

from dmi_api.services.fhir_sources import FHIR_SOURCES
from tests.exports.rich_clinic import NOTES, Api, RichClinic, build, delete_some
from tests.exports.support import ASYNC, relative, run_export
from tests.records.conftest import Headers
from tests.support.tenants import TenantClient

KICK_OFF = "/fhir/R4/$export"
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
REFERENCE = re.compile(r"^([A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$")


@dataclass
class Export:
    """One completed export: its manifest, resources by type and tombstone Bundles by type."""

    manifest: dict[str, Any]
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    raw: list[bytes] = field(default_factory=list)  # every file as served

    def ids(self, kind: str) -> set[str]:
        return {resource["id"] for resource in self.resources.get(kind, [])}

    def keys(self) -> list[str]:
        """`Type/id` of every exported resource."""
        return [
            f"{r['resourceType']}/{r['id']}" for found in self.resources.values() for r in found
        ]

    def deletions(self, kind: str) -> set[str]:
        """The `Type/id` a tombstone file of `kind` deletes."""
        return {
            entry["request"]["url"]
            for bundle in self.deleted.get(kind, [])
            for entry in bundle["entry"]
        }


def validate(resource: dict[str, Any]) -> None:
    """The resource against its R4B structure definition (structure, cardinality, types)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def references(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every `{"reference": "Type/id"}` in a resource, with where it is."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "reference" and isinstance(inner, str):
                yield path, inner
            else:
                yield from references(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from references(inner, f"{path}[{index}]")


def unresolved(export: Export) -> list[str]:
    """`Type/id.path -> reference` of each reference no resource of the export answers."""
    known = set(export.keys())
    missing = []
    for found in export.resources.values():
        for resource in found:
            for path, reference in references(resource):
                if reference not in known:
                    missing.append(
                        f"{resource['resourceType']}/{resource['id']}{path} -> {reference}"
                    )
    return missing


async def export(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: TenantClient,
    headers: dict[str, str],
    **params: str,
) -> Export:
    """Kick off, run the job in process, read the manifest, download and validate every line."""
    kicked = await client.get(KICK_OFF, params=params, headers={**headers, **ASYNC})
    assert kicked.status_code == 202, kicked.text
    location = kicked.headers["Content-Location"]
    assert await run_export(app, tenant.clinic_id, location) == "completed"
    status = await client.get(relative(location), headers=headers)
    assert status.status_code == 200, status.text
    done = Export(status.json())
    assert done.manifest["error"] == []
    for target, entries in (
        (done.resources, done.manifest["output"]),
        (done.deleted, done.manifest.get("deleted", [])),
    ):
        for entry in entries:
            response = await client.get(relative(entry["url"]), headers=headers)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith("application/fhir+ndjson")
            done.raw.append(response.content)
            lines = [orjson.loads(line) for line in response.content.splitlines()]
            assert len(lines) == entry["count"], entry
            for line in lines:
                assert line["resourceType"] == entry["type"], (entry, line)
                validate(line)
            # A deleted entry's type is Bundle: file them by what they delete.
            kind = entry["type"]
            if kind == "Bundle":
                kind = entry["url"].rsplit("/", 1)[1].removeprefix("deleted-").split("-")[0]
            target.setdefault(kind, []).extend(lines)
    return done


def check_whole(done: Export) -> None:
    """Ids are FHIR ids, each `Type/id` once, every reference resolves, no unmapped text."""
    keys = done.keys()
    duplicated = [key for key, n in Counter(keys).items() if n > 1]
    assert duplicated == [], duplicated
    for key in keys:
        assert FHIR_ID.match(key.split("/", 1)[1]), key
    for found in done.resources.values():
        for resource in found:
            for path, reference in references(resource):
                assert REFERENCE.match(reference), (resource["id"], path, reference)
    missing = unresolved(done)
    assert not missing, "\n".join(missing)
    for content in done.raw:
        leaked = [note for note in NOTES if note.encode() in content]
        assert leaked == [], leaked


def by_id(done: Export, kind: str) -> dict[str, dict[str, Any]]:
    return {resource["id"]: resource for resource in done.resources[kind]}


def condition_ids(done: Export) -> dict[tuple[str, str], str]:
    """Each Condition's id by its child and code (the id names the child, not the code)."""
    found = {}
    for resource in done.resources.get("Condition", []):
        child = resource["subject"]["reference"].removeprefix("Patient/")
        code = resource["code"]["coding"][0]["code"]
        assert resource["id"].startswith(f"{child}.diagnosis."), resource["id"]
        assert code not in resource["id"], resource["id"]
        found[child, code] = resource["id"]
    return found


# The score Observations each final assessment yields (docs/fhir.md), by id suffix.
SCORES: dict[str, set[str]] = {
    "gmfm88": {"gmfm88-total", "gmfm88-goal-total"} | {f"gmfm88-dim-{d}" for d in "abcde"},
    "gmfm66": {"gmfm66-score"},
    "gmfm66_unscored": set(),
    "aims_norms": {f"aims-{p}" for p in ("total", "prone", "supine", "sitting", "standing")}
    | {"aims-percentile"},
    "aims_entered": {f"aims-{p}" for p in ("total", "prone", "supine", "sitting", "standing")}
    | {"aims-percentile"},
    "hine": {"hine-global"}
    | {
        f"hine-{s}"
        for s in ("cranial-nerves", "posture", "movements", "tone", "reflexes-reactions")
    },
    "hine_late": {"hine-global"}
    | {
        f"hine-{s}"
        for s in ("cranial-nerves", "posture", "movements", "tone", "reflexes-reactions")
    },
    "pdms2": {"pdms2-locomotion", "pdms2-vmi", "pdms2-grasping", "pdms2-gmq", "pdms2-tmq"},
    "pdms3": {
        f"pdms3-{s}"
        for s in (
            "body-control",
            "body-transport",
            "object-control",
            "eye-hand-coordination",
            "hand-manipulation",
            "physical-fitness",
            "gmq",
            "fmq",
            "tmq",
        )
    },
    "gmfcs": {"gmfcs-level"},
    "feas": {"feas-total"},
    "fedc": {"fedc-level"},
    "dmi_evaluation": set(),
    "custom": set(),
    "draft": set(),
    "draft_empty": set(),
}

# What the clinic exports once `delete_some` ran, per type (the ids are checked above).
COUNTS = {
    "Patient": 3,
    "RelatedPerson": 7,
    "Practitioner": 4,
    "Condition": 5,
    "Observation": 56,  # 2 gestational ages, 5 milestones, 49 scores
    "QuestionnaireResponse": 16,
    "CarePlan": 5,
    "ServiceRequest": 8,
    "Encounter": 6,
    "Procedure": 8,
}
# Tombstone Bundles (one per deleted row) of the `_since` export, per type they delete.
TOMBSTONES = {
    "Patient": 1,
    "RelatedPerson": 1,
    "Condition": 1,
    "Observation": 3,  # the child's gestational age, the assessment's scores, the milestone
    "QuestionnaireResponse": 1,
    "Encounter": 1,
    "Procedure": 1,
}


def check_contents(done: Export, made: RichClinic) -> None:
    """Every record is where the mapping puts it (every FHIR type reached)."""
    assert set(done.resources) == set(FHIR_SOURCES), set(FHIR_SOURCES) ^ set(done.resources)
    children = {name: row["id"] for name, row in made.children.items()}
    assert done.ids("Patient") == set(children.values())
    mia, leo = children["mia"], children["leo"]
    assert done.ids("RelatedPerson") == {f"{mia}.caregiver.{i}" for i in range(3)} | {
        f"{leo}.caregiver.{i}" for i in range(4)
    }
    conditions = by_id(done, "Condition")
    ids = condition_ids(done)
    assert set(ids) == {
        (mia, "Q90.9"),
        (mia, "R62.50"),
        (mia, "G80"),
        (leo, "G80.1"),
        (leo, "C4A.9"),
    }
    systems = {
        code: conditions[cid]["code"]["coding"][0]["system"] for (_, code), cid in ids.items()
    }
    assert systems == {
        "Q90.9": "http://hl7.org/fhir/sid/icd-10",
        "R62.50": "http://hl7.org/fhir/sid/icd-10-cm",
        "G80": "http://hl7.org/fhir/sid/icd-10",
        "G80.1": "http://hl7.org/fhir/sid/icd-10",
        "C4A.9": "http://hl7.org/fhir/sid/icd-10-cm",
    }
    assert done.ids("Practitioner") == {row["id"] for row in made.practitioners.values()}
    expected_observations = {f"{mia}.gestational-age", f"{leo}.gestational-age"}
    expected_observations |= {row["id"] for row in made.milestones.values()}
    for name, suffixes in SCORES.items():
        expected_observations |= {f"{made.assessments[name]['id']}.{s}" for s in suffixes}
    assert set(SCORES) == set(made.assessments)
    assert done.ids("Observation") == expected_observations, (
        done.ids("Observation") ^ expected_observations
    )
    assert done.ids("QuestionnaireResponse") == {row["id"] for row in made.assessments.values()}
    assert done.ids("CarePlan") == {row["id"] for row in made.prescriptions.values()}
    items = {item["id"] for row in made.prescriptions.values() for item in row["items"]}
    requests = by_id(done, "ServiceRequest")
    assert set(requests) == items | {made.removed_item_id}
    assert requests[made.removed_item_id]["status"] == "revoked"
    assert done.ids("Encounter") == {row["id"] for row in made.sessions.values()}
    expected_procedures = {
        f"{row['id']}.exercise.{i}"
        for row in made.sessions.values()
        for i in range(len(row["exercises"]))
    }
    assert done.ids("Procedure") == expected_procedures


class TestAWholeClinic:
    async def test_every_resource_and_tombstone_is_valid_fhir(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        api = Api(client, await headers_for(tenant_a))
        made = await build(api)
        headers = await headers_for(tenant_a, "export:read")

        before = await export(app, client, tenant_a, headers)
        check_whole(before)
        since = before.manifest["transactionTime"]

        gone = await delete_some(api, made)
        leo = made.children["leo"]
        made.children["leo"] = await api.patch("/v1/children", leo, {"status": "discharged"})

        after = await export(app, client, tenant_a, headers)
        check_whole(after)
        check_contents(after, made)
        assert "deleted" not in after.manifest
        assert {kind: len(found) for kind, found in after.resources.items()} == COUNTS

        changed = await export(app, client, tenant_a, headers, _since=since)
        for content in changed.raw:
            assert not [note for note in NOTES if note.encode() in content]
        leo_id = leo["id"]
        assert changed.ids("Patient") == {leo_id}
        assert changed.ids("RelatedPerson") == {f"{leo_id}.caregiver.{i}" for i in range(4)}
        # The same ids as in the full exports, before and after (a Condition's id is stable).
        kept = condition_ids(after)
        assert changed.ids("Condition") == {kept[leo_id, "G80.1"], kept[leo_id, "C4A.9"]}
        assert {k: v for k, v in condition_ids(before).items() if k in kept} == kept
        assert changed.ids("Observation") == {f"{leo_id}.gestational-age"}
        assert by_id(changed, "Patient")[leo_id]["active"] is False
        for bundles in changed.deleted.values():
            for bundle in bundles:
                assert bundle["type"] == "transaction"
                for entry in bundle["entry"]:
                    assert entry["request"]["method"] == "DELETE"
                    assert REFERENCE.match(entry["request"]["url"]), entry
        child, session = gone.child["id"], gone.session["id"]
        assessment, milestone = gone.assessment["id"], gone.milestone["id"]
        assert changed.deletions("Patient") == {f"Patient/{child}"}
        assert changed.deletions("RelatedPerson") == {f"RelatedPerson/{child}.caregiver.0"}
        dropped = condition_ids(before)[child, "P07.3"]
        assert changed.deletions("Condition") == {f"Condition/{dropped}"}
        assert changed.deletions("Observation") == {
            f"Observation/{child}.gestational-age",
            f"Observation/{milestone}",
            *(
                f"Observation/{assessment}.gmfm88-{s}"
                for s in ("total", "dim-a", "dim-b", "dim-c", "dim-d", "dim-e")
            ),
        }
        assert changed.deletions("QuestionnaireResponse") == {f"QuestionnaireResponse/{assessment}"}
        assert changed.deletions("Encounter") == {f"Encounter/{session}"}
        assert changed.deletions("Procedure") == {f"Procedure/{session}.exercise.0"}
        assert {kind: len(found) for kind, found in changed.deleted.items()} == TOMBSTONES


class TestReferencesAfterDeletions:
    """A row that live records point at is deleted: what they export must still resolve."""

    async def _referenced(self, api: Api) -> dict[str, dict[str, Any]]:
        """A child, a practitioner and a prescription, each named by a live session record."""
        child = await api.post(
            "/v1/children",
            {"given_name": "Ned", "family_name": "Hale", "birth_date": "2024-05-01", "sex": "male"},
        )
        practitioner = await api.post("/v1/practitioners", {"name": "Ola Berg", "discipline": "PT"})
        exercise = await api.post(
            "/v1/exercises",
            {
                "code": "SIT-1",
                "name": "Sitting",
                "category": "sitting",
                "surface": "floor",
                "default_support_point": "pelvis",
            },
        )
        prescription = await api.post(
            "/v1/prescriptions",
            {
                "child_id": child["id"],
                "prescriber_id": practitioner["id"],
                "setting": "home",
                "status": "active",
                "period_start": "2025-03-01",
                "items": [{"exercise_id": exercise["id"], "repetitions": 5}],
            },
        )
        await api.post(
            "/v1/session-records",
            {
                "child_id": child["id"],
                "practitioner_id": practitioner["id"],
                "type": "dmi",
                "setting": "clinic",
                "started_at": "2025-03-04T09:00:00+01:00",
                "duration_minutes": 30,
                "exercises": [
                    {
                        "exercise_id": exercise["id"],
                        "prescription_item_id": prescription["items"][0]["id"],
                    }
                ],
            },
        )
        await api.post(
            "/v1/assessments",
            {
                "child_id": child["id"],
                "assessor_id": practitioner["id"],
                "instrument": "feas",
                "performed_on": "2025-03-04",
                "status": "final",
                "items": {"1": 2},
            },
        )
        return {"child": child, "practitioner": practitioner, "prescription": prescription}

    @pytest.mark.parametrize(
        ("deleted", "url"),
        [
            ("child", "/v1/children"),
            ("practitioner", "/v1/practitioners"),
            ("prescription", "/v1/prescriptions"),
        ],
    )
    async def test_references_resolve_after_a_referenced_row_is_deleted(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
        deleted: str,
        url: str,
    ) -> None:
        api = Api(client, await headers_for(tenant_a))
        rows = await self._referenced(api)
        row = rows[deleted]
        response = await client.delete(
            f"{url}/{row['id']}", headers={**api.headers, "If-Match": f'"{row["version"]}"'}
        )
        # Refusing the deletion (409) would keep the references whole as well.
        assert response.status_code in (204, 409), response.text
        done = await export(app, client, tenant_a, await headers_for(tenant_a, "export:read"))
        missing = unresolved(done)
        assert not missing, "\n".join(missing)


class TestSinceReportsWhatVanished:
    """A `_since` export lets a client follow the clinic: whatever a full export held before
    and holds no more is deleted in it."""

    async def test_resources_that_vanish_from_a_live_row_are_deleted(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tenant_a: TenantClient,
        headers_for: Headers,
    ) -> None:
        api = Api(client, await headers_for(tenant_a))
        headers = await headers_for(tenant_a, "export:read")
        child = await api.post(
            "/v1/children",
            {
                "given_name": "Ada",
                "family_name": "Moss",
                "birth_date": "2024-05-01",
                "sex": "female",
                "gestational_age_weeks": 34,
                "diagnoses": [{"code": "Q90.9"}, {"code": "G80.1"}],
                "caregivers": [
                    {"name": "Ida Moss", "relationship": "mother", "primary": True},
                    {"name": "Ray Moss", "relationship": "father"},
                ],
            },
        )
        practitioner = await api.post("/v1/practitioners", {"name": "Ola", "discipline": "PT"})
        exercise = await api.post(
            "/v1/exercises",
            {
                "code": "SIT-1",
                "name": "Sitting",
                "category": "sitting",
                "surface": "floor",
                "default_support_point": "pelvis",
            },
        )
        session = await api.post(
            "/v1/session-records",
            {
                "child_id": child["id"],
                "practitioner_id": practitioner["id"],
                "type": "dmi",
                "setting": "clinic",
                "started_at": "2025-03-04T09:00:00+01:00",
                "duration_minutes": 30,
                "exercises": [{"exercise_id": exercise["id"]}, {"exercise_id": exercise["id"]}],
            },
        )
        assessment = await api.post(
            "/v1/assessments",
            {
                "child_id": child["id"],
                "instrument": "gmfm88",
                "performed_on": "2025-03-04",
                "status": "final",
                "items": {"1": 3, "18": 2},
                "goal_dimensions": ["A"],
            },
        )
        before = await export(app, client, tenant_a, headers)
        since = before.manifest["transactionTime"]
        await api.patch(
            "/v1/children",
            child,
            {
                "gestational_age_weeks": None,
                "diagnoses": [{"code": "Q90.9"}],
                "caregivers": [{"name": "Ida Moss", "relationship": "mother", "primary": True}],
            },
        )
        await api.patch(
            "/v1/session-records", session, {"exercises": [{"exercise_id": exercise["id"]}]}
        )
        await api.patch("/v1/assessments", assessment, {"goal_dimensions": []})
        after = await export(app, client, tenant_a, headers)
        changed = await export(app, client, tenant_a, headers, _since=since)
        vanished = set(before.keys()) - set(after.keys())
        cid, sid, aid = child["id"], session["id"], assessment["id"]
        assert vanished == {
            f"RelatedPerson/{cid}.caregiver.1",
            f"Condition/{condition_ids(before)[cid, 'G80.1']}",
            f"Observation/{cid}.gestational-age",
            f"Procedure/{sid}.exercise.1",
            f"Observation/{aid}.gmfm88-goal-total",
        }
        deleted = {url for kind in changed.deleted for url in changed.deletions(kind)}
        missing = sorted(vanished - deleted)
        assert not missing, "\n".join(missing)
