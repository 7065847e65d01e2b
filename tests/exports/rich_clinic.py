"""A clinic whose records reach every FHIR mapping (docs/fhir.md), built through `/v1` only:
children with every Patient part, practitioners, exercises, prescriptions with dosed items (one
removed), session records of every type, setting and attendance (one signed and amended), an
assessment of every instrument (final, plus drafts), milestones; then the tombstones a `_since`
export reports. Free text the FHIR mappings leave out is written with unique markers (`NOTES`),
so that a test can check no resource carries it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

# Free text that is not mapped (docs/fhir.md: SOAP notes, amendments, notes of an assessment, a
# milestone or a performed exercise): each marker must appear in no exported resource.
SOAP = {
    "subjective": "PHI-soap-subjective-5d1c",
    "objective": "PHI-soap-objective-8a2e",
    "assessment": "PHI-soap-assessment-3f7b",
    "plan": "PHI-soap-plan-9c4d",
}
AMENDMENT = {"reason": "PHI-amendment-reason-2b6a", "text": "PHI-amendment-text-7e1f"}
EXERCISE_NOTE = "PHI-exercise-note-4a9c"
ASSESSMENT_NOTE = "PHI-assessment-note-6d3e"
MILESTONE_NOTE = "PHI-milestone-note-1f8b"
NOTES = (
    *SOAP.values(),
    *AMENDMENT.values(),
    EXERCISE_NOTE,
    ASSESSMENT_NOTE,
    MILESTONE_NOTE,
)

# Every AIMS age a row of the clinic's norm table: a total of 2 reaches the 10th percentile.
AIMS_NORMS = {
    "name": "Clinic AIMS norms (test)",
    "rows": [
        {"age_months": months, "percentiles": {"10": 2, "50": 5, "90": 10}} for months in range(25)
    ],
}


@dataclass(frozen=True)
class Api:
    """`/v1` calls with a token holding every scope; each asserts its success."""

    client: httpx.AsyncClient
    headers: dict[str, str]

    def _if_match(self, row: dict[str, Any]) -> dict[str, str]:
        return {**self.headers, "If-Match": f'"{row["version"]}"'}

    async def post(self, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = await self.client.post(url, json=body, headers=self.headers)
        assert response.status_code == status, response.text
        created: dict[str, Any] = response.json()
        return created

    async def post_on(self, url: str, row: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """A POST that changes `row` (signing): needs its version."""
        response = await self.client.post(url, json=body, headers=self._if_match(row))
        assert response.status_code == 200, response.text
        changed: dict[str, Any] = response.json()
        return changed

    async def patch(self, url: str, row: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.patch(
            f"{url}/{row['id']}", json=body, headers=self._if_match(row)
        )
        assert response.status_code == 200, response.text
        patched: dict[str, Any] = response.json()
        return patched

    async def put(self, url: str, body: dict[str, Any], version: int) -> dict[str, Any]:
        headers = {**self.headers, "If-Match": f'"{version}"'}
        response = await self.client.put(url, json=body, headers=headers)
        assert response.status_code == 200, response.text
        replaced: dict[str, Any] = response.json()
        return replaced

    async def delete(self, url: str, row: dict[str, Any]) -> None:
        response = await self.client.delete(f"{url}/{row['id']}", headers=self._if_match(row))
        assert response.status_code == 204, response.text


CHILDREN = "/v1/children"
PRACTITIONERS = "/v1/practitioners"
EXERCISES = "/v1/exercises"
PRESCRIPTIONS = "/v1/prescriptions"
SESSIONS = "/v1/session-records"
ASSESSMENTS = "/v1/assessments"
MILESTONES = "/v1/milestones"


@dataclass
class RichClinic:
    """What was made: rows by a name of the test's, as the API answered them."""

    children: dict[str, dict[str, Any]] = field(default_factory=dict)
    practitioners: dict[str, dict[str, Any]] = field(default_factory=dict)
    exercises: dict[str, dict[str, Any]] = field(default_factory=dict)
    prescriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    assessments: dict[str, dict[str, Any]] = field(default_factory=dict)
    milestones: dict[str, dict[str, Any]] = field(default_factory=dict)
    removed_item_id: str = ""


async def _children(api: Api, made: RichClinic) -> None:
    made.children["mia"] = await api.post(
        CHILDREN,
        {
            "given_name": "Mia",
            "family_name": "Lopez",
            "preferred_name": "Mimi",
            "birth_date": "2024-09-01",
            "sex": "female",
            "gestational_age_weeks": 32,
            "gestational_age_days": 4,
            "external_id": "MRN-1042",
            "diagnoses": [
                {"code": "Q90.9", "text": "Down syndrome"},  # WHO ICD-10
                {"code": "R62.50"},  # ICD-10-CM only
                {"code": "G80"},  # a category: WHO ICD-10
            ],
            "caregivers": [
                {
                    "name": "Sara Lopez",
                    "relationship": "mother",
                    "phone": "+15551234567",
                    "email": "sara@example.org",
                    "primary": True,
                    "consent_to_contact": True,
                },
                {"name": "Tom Lopez", "relationship": "father", "phone": "+15557654321"},
                {"name": "Ana Ruiz", "relationship": "other", "email": "ana@example.org"},
            ],
        },
    )
    made.children["leo"] = await api.post(
        CHILDREN,
        {
            "given_name": "Leo",
            "family_name": "Baker",
            "birth_date": "2022-05-01",
            "sex": "male",
            "gestational_age_weeks": 39,  # weeks without days
            "external_id": "MRN-2077",
            "diagnoses": [{"code": "G80.1", "text": "Spastic diplegia"}, {"code": "C4A.9"}],
            "caregivers": [
                {"name": "Jo Baker", "relationship": "guardian", "primary": True},
                {"name": "Max Baker", "relationship": "grandparent"},
                {"name": "Kim Baker", "relationship": "sibling"},
                {"name": "Pat Baker", "relationship": "parent"},
            ],
            "status": "on_hold",
        },
    )
    # No MRN, no gestational age, no diagnoses, no caregivers.
    made.children["ivy"] = await api.post(
        CHILDREN,
        {"given_name": "Ivy", "family_name": "Chen", "birth_date": "2023-02-10", "sex": "unknown"},
    )
    # Deleted later (a tombstone of every Patient part); no records of its own.
    made.children["zoe"] = await api.post(
        CHILDREN,
        {
            "given_name": "Zoe",
            "family_name": "Gray",
            "birth_date": "2024-01-15",
            "sex": "other",
            "gestational_age_weeks": 30,
            "gestational_age_days": 2,
            "external_id": "MRN-3001",
            "diagnoses": [{"code": "P07.3", "text": "Preterm"}],
            "caregivers": [{"name": "Eve Gray", "relationship": "mother", "primary": True}],
        },
    )


async def _practitioners(api: Api, made: RichClinic) -> None:
    made.practitioners["ana"] = await api.post(
        PRACTITIONERS,
        {"name": "Ana Ruiz", "discipline": "PT", "credentials": "DPT", "external_id": "P-77"},
    )
    made.practitioners["ben"] = await api.post(
        PRACTITIONERS, {"name": "Ben Ortiz", "discipline": "OT"}
    )
    made.practitioners["cleo"] = await api.post(
        PRACTITIONERS, {"name": "Cleo Park", "discipline": "SLP", "credentials": "CCC-SLP"}
    )
    dana = await api.post(
        PRACTITIONERS,
        {"name": "Dana Fox", "discipline": "other", "external_id": "P-90"},
    )
    made.practitioners["dana"] = await api.patch(PRACTITIONERS, dana, {"active": False})


async def _exercises(api: Api, made: RichClinic) -> None:
    for name, code, category, support in (
        ("sit", "SIT-PELVIS-01", "sitting", "pelvis"),
        ("stand", "STAND-KNEES-02", "standing", "knees"),
        ("roll", "ROLL.TRUNK_03", "rolling", "trunk"),
        ("crawl", "CRAWL-04", "crawling", "hands"),
    ):
        made.exercises[name] = await api.post(
            EXERCISES,
            {
                "code": code,
                "name": f"Exercise {code}",
                "category": category,
                "surface": "table",
                "default_support_point": support,
                "desired_response": "The child brings the head back to midline.",
            },
        )


async def _prescriptions(api: Api, made: RichClinic) -> None:
    mia, leo = made.children["mia"]["id"], made.children["leo"]["id"]
    ana, ben = made.practitioners["ana"]["id"], made.practitioners["ben"]["id"]
    ex = {name: row["id"] for name, row in made.exercises.items()}
    made.prescriptions["home"] = await api.post(
        PRESCRIPTIONS,
        {
            "child_id": mia,
            "prescriber_id": ana,
            "setting": "home",
            "status": "active",
            "period_start": "2025-03-01",
            "period_end": "2025-06-30",
            "goal": "Sit without support for 10 seconds.",
            "items": [
                {
                    "exercise_id": ex["sit"],
                    "repetitions": 5,
                    "sets": 2,
                    "hold_seconds": 10,
                    "support_point": "thighs",
                    "side": "bilateral",
                    "times_per_day": 2,
                    "days_per_week": 5,
                    "instructions": "Stop when the child tires.",
                },
                {"exercise_id": ex["stand"], "repetitions": 8, "side": "left", "times_per_day": 1},
                {"exercise_id": ex["roll"], "repetitions": 3, "side": "right", "days_per_week": 3},
                {"exercise_id": ex["crawl"], "repetitions": 4, "hold_seconds": 0},  # removed later
            ],
        },
    )
    made.prescriptions["draft"] = await api.post(
        PRESCRIPTIONS,
        {
            "child_id": mia,
            "prescriber_id": ben,
            "setting": "intensive",
            "period_start": "2025-04-01",
            "items": [{"exercise_id": ex["stand"], "repetitions": 10, "sets": 3}],
        },
    )
    paused = await api.post(
        PRESCRIPTIONS,
        {
            "child_id": leo,
            "prescriber_id": ben,
            "setting": "clinic",
            "status": "active",
            "period_start": "2025-01-01",
            "items": [{"exercise_id": ex["sit"], "repetitions": 6, "support_point": "other"}],
        },
    )
    made.prescriptions["paused"] = await api.patch(
        PRESCRIPTIONS, paused, {"status": "paused", "status_date": "2025-02-01"}
    )
    completed = await api.post(
        PRESCRIPTIONS,
        {
            "child_id": leo,
            "prescriber_id": ana,
            "setting": "home",
            "status": "active",
            "period_start": "2024-10-01",
            "period_end": "2024-12-31",
            "items": [{"exercise_id": ex["roll"], "repetitions": 2, "days_per_week": 7}],
        },
    )
    made.prescriptions["completed"] = await api.patch(
        PRESCRIPTIONS, completed, {"status": "completed", "status_date": "2024-12-31"}
    )
    discontinued = await api.post(
        PRESCRIPTIONS,
        {
            "child_id": leo,
            "prescriber_id": ana,
            "setting": "home",
            "period_start": "2025-02-01",
            "items": [{"exercise_id": ex["crawl"], "repetitions": 1}],
        },
    )
    made.prescriptions["discontinued"] = await api.patch(
        PRESCRIPTIONS, discontinued, {"status": "discontinued"}
    )


def _performed(made: RichClinic, exercise: str, **fields: Any) -> dict[str, Any]:
    return {"exercise_id": made.exercises[exercise]["id"], **fields}


async def _sessions(api: Api, made: RichClinic) -> None:
    mia, leo = made.children["mia"]["id"], made.children["leo"]["id"]
    ana, ben = made.practitioners["ana"]["id"], made.practitioners["ben"]["id"]
    items = [item["id"] for item in made.prescriptions["home"]["items"]]
    # Attended in the clinic, exercises of the program and not; signed, then amended.
    signed = await api.post(
        SESSIONS,
        {
            "child_id": mia,
            "practitioner_id": ana,
            "type": "dmi",
            "setting": "clinic",
            "started_at": "2025-03-04T09:00:00+01:00",
            "duration_minutes": 50,
            "attendance": "attended",
            "caregiver_present": True,
            "exercises": [
                _performed(
                    made,
                    "sit",
                    prescription_item_id=items[0],
                    repetitions=5,
                    sets=2,
                    support_point="pelvis",
                    response="partial",
                    note=EXERCISE_NOTE,
                ),
                _performed(made, "roll", response="full", sets=1),
                _performed(made, "crawl", prescription_item_id=items[3], repetitions=4),
            ],
            "notes": SOAP,
        },
    )
    signed = await api.post_on(f"{SESSIONS}/{signed['id']}/sign", signed, {"signed_by": ana})
    await api.post(f"{SESSIONS}/{signed['id']}/amendments", {**AMENDMENT, "author_id": ana})
    made.sessions["signed"] = signed
    made.sessions["cancelled"] = await api.post(
        SESSIONS,
        {
            "child_id": mia,
            "practitioner_id": ben,
            "type": "dirfloortime",
            "setting": "telehealth",
            "started_at": "2025-03-06T15:30:00-05:00",
            "duration_minutes": 30,
            "attendance": "cancelled",
            "exercises": [_performed(made, "stand", prescription_item_id=items[1], repetitions=0)],
        },
    )
    made.sessions["no_show"] = await api.post(
        SESSIONS,
        {
            "child_id": mia,
            "type": "home_practice",
            "setting": "home",
            "started_at": "2025-03-07T18:00:00Z",
            "duration_minutes": 15,
            "attendance": "no_show",
            "exercises": [_performed(made, "sit", prescription_item_id=items[0])],
        },
    )
    made.sessions["home_practice"] = await api.post(
        SESSIONS,
        {
            "child_id": mia,
            "type": "home_practice",
            "setting": "home",
            "started_at": "2025-03-08T08:00:00+02:00",
            "duration_minutes": 20,
            "exercises": [
                _performed(made, "sit", prescription_item_id=items[0], repetitions=10, sets=2),
                _performed(made, "roll", prescription_item_id=items[2], support_point="trunk"),
            ],
        },
    )
    made.sessions["coaching"] = await api.post(
        SESSIONS,
        {
            "child_id": mia,
            "practitioner_id": made.practitioners["cleo"]["id"],
            "type": "parent_coaching",
            "setting": "home",
            "started_at": "2025-03-10T10:00:00+00:00",
            "ended_at": "2025-03-10T10:45:00+00:00",
            "caregiver_present": True,
        },
    )
    made.sessions["evaluation"] = await api.post(
        SESSIONS,
        {
            "child_id": leo,
            "practitioner_id": ben,
            "type": "evaluation",
            "setting": "clinic",
            "started_at": "2025-02-03T09:00:00+01:00",
            "duration_minutes": 90,
            "exercises": [_performed(made, "stand", response="none", support_point="ankles")],
            "notes": {"objective": SOAP["objective"]},
        },
    )
    # Deleted later.
    made.sessions["gone"] = await api.post(
        SESSIONS,
        {
            "child_id": mia,
            "practitioner_id": ana,
            "type": "dmi",
            "setting": "clinic",
            "started_at": "2025-03-11T09:00:00+01:00",
            "duration_minutes": 40,
            "exercises": [_performed(made, "sit", prescription_item_id=items[0], note="x")],
            "notes": {"plan": SOAP["plan"]},
        },
    )


async def _remove_an_item(api: Api, made: RichClinic) -> None:
    """The crawl item leaves the home program (the signed session recorded it); its exercise
    is then deleted from the library (the item and the session still name it)."""
    home = made.prescriptions["home"]
    kept, removed = home["items"][:3], home["items"][3]
    body = [{k: v for k, v in item.items() if v is not None} for item in kept]
    made.prescriptions["home"] = await api.patch(PRESCRIPTIONS, home, {"items": body})
    assert [i["id"] for i in made.prescriptions["home"]["items"]] == [i["id"] for i in kept]
    made.removed_item_id = removed["id"]
    await api.delete(EXERCISES, made.exercises["crawl"])


def _assessment(
    made: RichClinic,
    instrument: str,
    performed_on: str,
    *,
    child: str = "mia",
    status: str = "final",
    assessor: str | None = "ana",
    **fields: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "child_id": made.children[child]["id"],
        "instrument": instrument,
        "performed_on": performed_on,
        "status": status,
        "notes": ASSESSMENT_NOTE,
        **fields,
    }
    if assessor is not None:
        body["assessor_id"] = made.practitioners[assessor]["id"]
    return body


def _gmfm88_items() -> dict[str, Any]:
    items: dict[str, Any] = {str(n): 3 for n in range(1, 18)}
    items |= {str(n): 2 for n in range(18, 38)}
    items |= {str(n): 1 for n in range(38, 52)}
    items |= {"52": "NT"} | {str(n): 0 for n in range(53, 65)}
    return items


async def _assessments(api: Api, made: RichClinic) -> None:
    # The clinic's norm table gives AIMS percentiles (`clinic_norms`).
    await api.put("/v1/clinic-settings", {"aims_norms": AIMS_NORMS}, 0)
    aims_items = {f"prone-{n}": 1 for n in range(1, 5)} | {"supine-1": 1, "supine-2": 1}
    bodies: dict[str, dict[str, Any]] = {
        "gmfm88": _assessment(
            made, "gmfm88", "2025-03-04", items=_gmfm88_items(), goal_dimensions=["C", "B"]
        ),
        "gmfm66": _assessment(
            made,
            "gmfm66",
            "2025-03-05",
            items={"1": 3, "2": "NT", "10": 2},
            goal_dimensions=["A"],
            entered={
                "gmae_score": 55.3,
                "standard_error": 1.2,
                "ci95_low": 52.9,
                "ci95_high": 57.7,
            },
        ),
        "gmfm66_unscored": _assessment(made, "gmfm66", "2025-03-06", items={"1": 2}),
        "aims_norms": _assessment(made, "aims", "2025-01-10", items=aims_items | {"sitting-1": 0}),
        # Below the table's lowest percentile: the entered one is reported (`entered`).
        "aims_entered": _assessment(
            made, "aims", "2025-01-11", items={"prone-1": 1}, entered={"percentile": 3}
        ),
        "hine": _assessment(made, "hine", "2025-01-20", items={str(n): 2 for n in range(1, 27)}),
        "hine_late": _assessment(made, "hine", "2025-08-20", items={"1": 3}, assessor="cleo"),
        "pdms2": _assessment(
            made,
            "pdms2",
            "2025-03-12",
            items={"locomotion-1": 2, "locomotion-2": 1, "visual_motor_integration-1": 2},
            entered={"standard_scores": {"locomotion": 8, "grasping": 9}, "gmq": 90, "tmq": 92},
        ),
        "pdms3": _assessment(
            made,
            "pdms3",
            "2025-03-13",
            items={f"{name}-1": 1 for name in ("body_control", "body_transport", "object_control")}
            | {"eye_hand_coordination-2": 2, "hand_manipulation-1": 0, "physical_fitness-1": 1},
            entered={"standard_scores": {"body_control": 10}, "gmq": 95, "fmq": 101, "tmq": 97},
        ),
        "gmfcs": _assessment(
            made, "gmfcs", "2025-02-01", child="leo", entered={"level": "III"}, assessor="ben"
        ),
        "feas": _assessment(
            made, "feas", "2025-03-14", items={"1": 2, "2": 1, "3": 0}, assessor=None
        ),
        "fedc": _assessment(made, "fedc", "2025-03-14", entered={"level": 4}, assessor=None),
        "dmi_evaluation": _assessment(
            made,
            "dmi_evaluation",
            "2025-03-15",
            items={"reach": 45.5, "head": "NT", "roll": 3, "sit.time": "12 s with support"},
            entered={"trunk_control": 60, "tone": "low"},
        ),
        "custom": _assessment(
            made, "custom", "2025-02-02", child="leo", items={"stand-1": 12, "afo": "with AFOs"}
        ),
        "draft": _assessment(
            made, "gmfm88", "2025-03-16", status="draft", items={"1": 2}, assessor=None
        ),
        "draft_empty": _assessment(made, "aims", "2025-03-16", status="draft"),
        # Deleted later: its QuestionnaireResponse and score Observations are tombstones.
        "gone": _assessment(made, "gmfm88", "2025-03-17", items={"1": 3, "2": 3, "18": 1}),
    }
    for name, body in bodies.items():
        made.assessments[name] = await api.post(ASSESSMENTS, body)
    scores = {name: row["scores"] for name, row in made.assessments.items()}
    assert scores["aims_norms"]["percentile_source"] == "clinic_norms", scores["aims_norms"]
    assert scores["aims_entered"]["percentile_source"] == "entered", scores["aims_entered"]
    assert scores["hine"]["optimality"] is not None, scores["hine"]
    assert scores["hine_late"]["optimality"] is None, scores["hine_late"]
    assert scores["gmfm88"]["goal_total_percent"] is not None
    assert scores["draft"] is None
    assert scores["dmi_evaluation"] is None


async def _milestones(api: Api, made: RichClinic) -> None:
    mia, leo = made.children["mia"]["id"], made.children["leo"]["id"]
    for name, body in {
        "achieved": {
            "child_id": mia,
            "milestone": "sitting_without_support",
            "achieved_on": "2025-03-01",
            "observed_on": "2025-03-05",
            "support_needed": "minimal",
            "note": MILESTONE_NOTE,
        },
        "achieved_undated_observation": {
            "child_id": mia,
            "milestone": "head_control",
            "achieved_on": "2024-12-01",
            "support_needed": "none",
        },
        "not_yet": {
            "child_id": mia,
            "milestone": "walking_alone",
            "observed_on": "2025-03-05",
            "support_needed": "moderate",
            "note": MILESTONE_NOTE,
        },
        "undated": {"child_id": mia, "milestone": "stairs"},
        "maximal": {
            "child_id": leo,
            "milestone": "standing_with_assistance",
            "observed_on": "2025-02-01",
            "support_needed": "maximal",
        },
        "gone": {"child_id": mia, "milestone": "rolling", "achieved_on": "2025-01-05"},
    }.items():
        made.milestones[name] = await api.post(MILESTONES, body)


async def build(api: Api) -> RichClinic:
    """Every record of the clinic, live (the tombstones come with `delete_some`)."""
    made = RichClinic()
    await _children(api, made)
    await _practitioners(api, made)
    await _exercises(api, made)
    await _prescriptions(api, made)
    await _sessions(api, made)
    await _remove_an_item(api, made)
    await _assessments(api, made)
    await _milestones(api, made)
    return made


@dataclass(frozen=True)
class Tombstones:
    """The rows `delete_some` deleted."""

    child: dict[str, Any]
    session: dict[str, Any]
    assessment: dict[str, Any]
    milestone: dict[str, Any]


async def delete_some(api: Api, made: RichClinic) -> Tombstones:
    """Delete a child (no records of its own), a session record, a final assessment and a
    milestone."""
    gone = Tombstones(
        child=made.children.pop("zoe"),
        session=made.sessions.pop("gone"),
        assessment=made.assessments.pop("gone"),
        milestone=made.milestones.pop("gone"),
    )
    await api.delete(CHILDREN, gone.child)
    await api.delete(SESSIONS, gone.session)
    await api.delete(ASSESSMENTS, gone.assessment)
    await api.delete(MILESTONES, gone.milestone)
    return gone
