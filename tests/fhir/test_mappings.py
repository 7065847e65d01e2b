"""The FHIR mappings of stored rows (no database): every resource validated with fhir.resources'
R4B models, and the clinically important values checked against what the API stored."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.relatedperson import RelatedPerson
from fhir.resources.R4B.servicerequest import ServiceRequest

from dmi_api.clinical.ages import AgeRule
from dmi_api.clinical.scoring import AimsNorms
from dmi_api.fhir.care_plans import care_plan
from dmi_api.fhir.conditions import ICD10, ICD10_CM, conditions
from dmi_api.fhir.identifiers import identifier_system
from dmi_api.fhir.observation_scores import score_observations
from dmi_api.fhir.observations import gestational_age, milestone_observation
from dmi_api.fhir.procedures import procedures
from dmi_api.fhir.questionnaire_responses import questionnaire_response
from dmi_api.fhir.related_persons import related_persons
from dmi_api.fhir.service_requests import SYSTEM_KIND, service_request
from dmi_api.models import (
    Assessment,
    Child,
    Exercise,
    Milestone,
    Prescription,
    PrescriptionItem,
    SessionRecord,
)
from dmi_api.rule_values import RuleSettings
from dmi_api.schemas.instruments import PDMS2_SUBTESTS, PDMS3_SUBTESTS, entered_errors
from dmi_api.services.assessment_scores import compute

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
CLINIC = uuid.uuid4()
ASSESSOR = uuid.uuid4()
CREATED = datetime(2025, 1, 2, 8, 0, tzinfo=UTC)
UPDATED = datetime(2025, 6, 3, 9, 30, tzinfo=UTC)
SYSTEM = identifier_system("https://api.example.org", CLINIC, SYSTEM_KIND)
NORMS = AimsNorms.from_json(
    {"name": "clinic table", "rows": [{"age_months": 0, "percentiles": {"10": 2, "50": 5}}]}
)
RULES = RuleSettings(age_rule=AgeRule(), aims_norms=NORMS)
SNOMED_EXERCISE_THERAPY = ("http://snomed.info/sct", "229065009")


def _row_fields(version: int = 3) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "clinic_id": CLINIC,
        "version": version,
        "created_at": CREATED,
        "updated_at": UPDATED,
    }


def _child(**fields: Any) -> Child:
    values: dict[str, Any] = {
        "given_name": "Mia",
        "family_name": "Lopez",
        "birth_date": date(2025, 1, 1),
        "sex": "female",
        "diagnoses": [],
        "caregivers": [],
        **fields,
    }
    return Child(**_row_fields(), **values)


def _meta_of(resource: dict[str, Any], version: int = 3) -> None:
    assert FHIR_ID.match(resource["id"]), resource["id"]
    assert resource["meta"] == {"versionId": str(version), "lastUpdated": "2025-06-03T09:30:00Z"}


def _assessment(
    child: Child,
    instrument: str,
    items: dict[str, Any],
    *,
    entered: dict[str, Any] | None = None,
    goals: list[str] | None = None,
    on: date = date(2025, 4, 23),
    status: str = "final",
) -> Assessment:
    """An assessment as stored: entered values as the API keeps them, scores computed by the
    server's own rule."""
    errors, stored = entered_errors(instrument, entered or {}, final=status == "final")
    assert errors == []
    row = Assessment(
        **_row_fields(),
        child_id=child.id,
        assessor_id=ASSESSOR,
        instrument=instrument,
        performed_on=on,
        status=status,
        items=items,
        goal_dimensions=goals or [],
        entered=stored,
        notes="Tested on the mat.",
    )
    row.scores = compute(row, child, RULES)
    return row


def _observations(row: Assessment) -> dict[str, dict[str, Any]]:
    """The score Observations by id, each validated, common elements checked."""
    resources = score_observations(row)
    by_id = {resource["id"]: resource for resource in resources}
    assert len(by_id) == len(resources)
    for resource in resources:
        Observation.model_validate(resource)
        _meta_of(resource)
        assert resource["id"].startswith(f"{row.id}.")
        assert resource["status"] == "final"
        assert resource["category"][0]["coding"][0]["code"] == "survey"
        assert resource["subject"] == {"reference": f"Patient/{row.child_id}"}
        assert resource["effectiveDateTime"] == row.performed_on.isoformat()
        assert resource["performer"] == [{"reference": f"Practitioner/{ASSESSOR}"}]
        assert resource["method"]["coding"][0]["code"] == row.instrument
        assert row.scores is not None
        assert row.scores["rule"] in resource["method"]["text"]
        assert resource["derivedFrom"][0] == {"reference": f"QuestionnaireResponse/{row.id}"}
        code = resource["code"]["coding"][0]["code"]
        assert resource["id"] == f"{row.id}.{code}"
        for reference in resource.get("hasMember", []) + resource["derivedFrom"][1:]:
            assert reference["reference"].removeprefix("Observation/") in by_id
    QuestionnaireResponse.model_validate(questionnaire_response(row))
    return by_id


def _component(resource: dict[str, Any], code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        c for c in resource["component"] if c["code"]["coding"][0]["code"] == code
    ]
    assert len(found) == 1, code
    return found[0]


# --- Patient's parts: RelatedPerson, Condition, gestational age -------------------------------


def test_caregivers_are_related_persons_by_position() -> None:
    child = _child(
        caregivers=[
            {
                "name": "Sara Lopez",
                "relationship": "mother",
                "phone": "+15551234567",
                "email": "sara@example.org",
                "primary": True,
                "consent_to_contact": True,
            },
            {"name": "Ana Ruiz", "relationship": "other", "primary": False},
        ]
    )
    mother, other = related_persons(child)
    for resource in (mother, other):
        RelatedPerson.model_validate(resource)
        _meta_of(resource)
        assert resource["patient"] == {"reference": f"Patient/{child.id}"}
    assert mother["id"] == f"{child.id}.caregiver.0"
    assert other["id"] == f"{child.id}.caregiver.1"
    assert mother["relationship"][0]["coding"][0]["code"] == "MTH"
    assert mother["relationship"][1]["coding"][0]["code"] == "primary"
    assert mother["name"] == [{"text": "Sara Lopez"}]
    assert mother["telecom"] == [
        {"system": "phone", "value": "+15551234567"},
        {"system": "email", "value": "sara@example.org"},
    ]
    assert other["relationship"] == [{"text": "other"}]
    assert "telecom" not in other
    assert related_persons(_child()) == []


def test_diagnoses_are_conditions_by_code() -> None:
    child = _child(
        diagnoses=[{"code": "Q90.9", "text": "Down syndrome"}, {"code": "R62.50"}, {"code": "G80"}]
    )
    resources = conditions(child, key=b"k" * 32)
    for resource in resources:
        Condition.model_validate(resource)
        _meta_of(resource)
        assert resource["clinicalStatus"]["coding"][0]["code"] == "active"
        assert resource["category"][0]["coding"][0]["code"] == "problem-list-item"
        assert resource["subject"] == {"reference": f"Patient/{child.id}"}
    down, failure, palsy = resources
    assert down["id"].startswith(f"{child.id}.diagnosis.")
    assert "Q90" not in down["id"]
    assert down["code"] == {
        "coding": [{"system": ICD10, "code": "Q90.9"}],
        "text": "Down syndrome",
    }
    assert failure["code"] == {"coding": [{"system": ICD10_CM, "code": "R62.50"}]}
    assert palsy["code"]["coding"][0]["system"] == ICD10


def test_gestational_age_in_days() -> None:
    child = _child(gestational_age_weeks=32, gestational_age_days=4)
    resource = gestational_age(child)
    assert resource is not None
    Observation.model_validate(resource)
    _meta_of(resource)
    assert resource["id"] == f"{child.id}.gestational-age"
    assert resource["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "76516-4",
        "display": "Gestational age--at birth",
    }
    assert resource["valueQuantity"]["value"] == 228
    assert resource["valueQuantity"]["code"] == "d"
    assert resource["effectiveDateTime"] == "2025-01-01"
    weeks_only = gestational_age(_child(gestational_age_weeks=30))
    assert weeks_only is not None
    assert weeks_only["valueQuantity"]["value"] == 210
    assert gestational_age(_child()) is None


# --- Milestones --------------------------------------------------------------------------------


def _milestone(**fields: Any) -> Milestone:
    return Milestone(**_row_fields(), child_id=uuid.uuid4(), note="Sat 15 s.", **fields)


def test_milestones_achieved_not_yet_and_undated() -> None:
    achieved = _milestone(
        milestone="sitting_without_support",
        achieved_on=date(2025, 3, 1),
        observed_on=date(2025, 3, 5),
        support_needed="minimal",
    )
    not_yet = _milestone(milestone="walking_alone", observed_on=date(2025, 3, 5))
    undated = _milestone(milestone="stairs")
    resources = [milestone_observation(row) for row in (achieved, not_yet, undated)]
    for row, resource in zip((achieved, not_yet, undated), resources, strict=True):
        Observation.model_validate(resource)
        _meta_of(resource)
        assert resource["id"] == str(row.id)
        assert resource["code"]["coding"][0]["code"] == row.milestone
        assert resource["subject"] == {"reference": f"Patient/{row.child_id}"}
        assert "note" not in resource
    first, second, third = resources
    assert first["valueBoolean"] is True
    assert first["effectiveDateTime"] == "2025-03-01"
    assert _component(first, "observed-on")["valueDateTime"] == "2025-03-05"
    support = _component(first, "support-needed")["valueCodeableConcept"]["coding"][0]
    assert support["code"] == "minimal"
    assert second["valueBoolean"] is False
    assert second["effectiveDateTime"] == "2025-03-05"
    assert "component" not in second
    assert third["valueBoolean"] is False
    assert "effectiveDateTime" not in third


# --- Assessment scores: one test per instrument -------------------------------------------------


def test_gmfm88_total_goal_total_and_dimensions() -> None:
    items: dict[str, Any] = {str(n): 3 for n in range(1, 18)}
    items |= {str(n): 2 for n in range(18, 38)}
    items |= {str(n): 1 for n in range(38, 52)}
    items |= {"52": "NT"} | {str(n): 0 for n in range(53, 65)}
    row = _assessment(_child(), "gmfm88", items, goals=["C", "B"])
    assert row.scores is not None
    by_id = _observations(row)
    total = by_id[f"{row.id}.gmfm88-total"]
    assert total["valueQuantity"]["value"] == row.scores["total_percent"] == 40.0
    assert total["valueQuantity"]["code"] == "%"
    dims = [f"{row.id}.gmfm88-dim-{letter}" for letter in "abcde"]
    assert [member["reference"] for member in total["hasMember"]] == [
        f"Observation/{dim}" for dim in dims
    ]
    assert _component(total, "items-missing")["valueInteger"] == row.scores["items_missing"] == 24
    assert _component(total, "items-tested")["valueInteger"] == row.scores["items_tested"]
    goal = by_id[f"{row.id}.gmfm88-goal-total"]
    assert goal["valueQuantity"]["value"] == row.scores["goal_total_percent"] == 50.0
    assert [m["reference"] for m in goal["hasMember"]] == [
        f"Observation/{row.id}.gmfm88-dim-b",
        f"Observation/{row.id}.gmfm88-dim-c",
    ]
    for letter, dim_id in zip("ABCDE", dims, strict=True):
        stored = row.scores["dimensions"][letter]
        assert by_id[dim_id]["valueQuantity"]["value"] == stored["percent"]
        assert _component(by_id[dim_id], "raw")["valueInteger"] == stored["raw"]
    assert by_id[dims[1]]["valueQuantity"]["value"] == 66.67
    assert len(by_id) == 7
    no_goals = _observations(_assessment(_child(), "gmfm88", items))
    assert len(no_goals) == 6


def test_gmfm66_gmae_score_with_its_error_and_interval() -> None:
    entered = {"gmae_score": 55.3, "standard_error": 1.2, "ci95_low": 52.9, "ci95_high": 57.7}
    row = _assessment(_child(), "gmfm66", {"1": 3, "2": "NT"}, entered=entered)
    [score] = _observations(row).values()
    assert score["id"] == f"{row.id}.gmfm66-score"
    assert score["valueQuantity"]["value"] == 55.3
    assert _component(score, "standard-error")["valueQuantity"]["value"] == 1.2
    interval = _component(score, "ci95")["valueRange"]
    assert (interval["low"]["value"], interval["high"]["value"]) == (52.9, 57.7)
    assert _component(score, "items-tested")["valueInteger"] == 1
    assert _observations(_assessment(_child(), "gmfm66", {"1": 3})) == {}


def test_aims_positions_total_and_percentile() -> None:
    items = {f"prone-{n}": 1 for n in range(1, 5)} | {"supine-1": 1, "supine-2": 1, "sitting-1": 0}
    row = _assessment(_child(), "aims", items)
    assert row.scores is not None
    by_id = _observations(row)
    total = by_id[f"{row.id}.aims-total"]
    assert total["valueInteger"] == row.scores["total"] == 6
    for position in ("prone", "supine", "sitting", "standing"):
        subscore = by_id[f"{row.id}.aims-{position}"]
        assert subscore["valueInteger"] == row.scores["positions"][position]["raw"]
        assert {"reference": f"Observation/{subscore['id']}"} in total["hasMember"]
    percentile = by_id[f"{row.id}.aims-percentile"]
    assert percentile["valueQuantity"]["value"] == row.scores["percentile"] == 50.0
    source = _component(percentile, "percentile-source")["valueCodeableConcept"]["coding"][0]
    assert source["code"] == "clinic_norms"


def test_hine_global_sections_and_optimality() -> None:
    # A term-born infant of exactly 16 weeks: the 16-week reference (55.6) applies.
    child = _child()
    row = _assessment(child, "hine", {str(n): 2 for n in range(1, 27)}, on=date(2025, 4, 23))
    assert row.scores is not None
    assert row.scores["optimality"]["reference_age_weeks"] == 16
    by_id = _observations(row)
    total = by_id[f"{row.id}.hine-global"]
    assert total["valueInteger"] == row.scores["global"] == 52
    assert len(total["hasMember"]) == 5
    assert by_id[f"{row.id}.hine-tone"]["valueInteger"] == row.scores["sections"]["tone"]["raw"]
    assert by_id[f"{row.id}.hine-reflexes-reactions"]["valueInteger"] == 10
    [reference] = total["referenceRange"]
    assert reference["low"]["value"] == 55.6
    assert reference["age"]["low"]["value"] == 16
    assert total["interpretation"][0]["coding"][0]["code"] == "L"
    later = _assessment(child, "hine", {"1": 3}, on=date(2025, 9, 1))
    global_score = _observations(later)[f"{later.id}.hine-global"]
    assert "referenceRange" not in global_score
    assert "interpretation" not in global_score


@pytest.mark.parametrize("instrument", ["pdms2", "pdms3"])
def test_pdms_subtests_and_quotients(instrument: str) -> None:
    if instrument == "pdms2":
        items = {"locomotion-1": 2, "locomotion-2": 1, "visual_motor_integration-1": 2}
        standard = {"locomotion": 8, "grasping": 9}
    else:
        items = {"eye_hand_coordination-1": 2, "body_control-3": 1}
        standard = {"body_control": 10}
    entered = {"standard_scores": standard, "gmq": 90, "tmq": 92}
    row = _assessment(_child(), instrument, items, entered=entered)
    assert row.scores is not None
    by_id = _observations(row)

    def subtest_id(subtest: str) -> str:
        slug = "vmi" if subtest == "visual_motor_integration" else subtest.replace("_", "-")
        return f"{row.id}.{instrument}-{slug}"

    for subtest, stored in row.scores["subtests"].items():
        found = by_id[subtest_id(subtest)]
        assert _component(found, "raw")["valueInteger"] == stored["raw"]
        assert _component(found, "items-scored")["valueInteger"] == stored["items_scored"]
        assert "valueInteger" not in found
    for subtest, value in standard.items():
        found = by_id[subtest_id(subtest)]
        assert _component(found, "standard-score")["valueInteger"] == value
    assert by_id[f"{row.id}.{instrument}-gmq"]["valueInteger"] == 90
    assert by_id[f"{row.id}.{instrument}-tmq"]["valueInteger"] == 92
    assert f"{row.id}.{instrument}-fmq" not in by_id
    if instrument == "pdms2":
        vmi = by_id[f"{row.id}.pdms2-vmi"]
        assert _component(vmi, "raw")["valueInteger"] == 2
        grasping = by_id[f"{row.id}.pdms2-grasping"]
        assert [c["code"]["coding"][0]["code"] for c in grasping["component"]] == ["standard-score"]
    else:
        assert f"{row.id}.pdms3-eye-hand-coordination" in by_id


def test_gmfcs_level_is_a_coded_value() -> None:
    child = _child(birth_date=date(2021, 3, 1))
    row = _assessment(child, "gmfcs", {}, entered={"level": "III"}, on=date(2023, 3, 1))
    [level] = _observations(row).values()
    assert level["id"] == f"{row.id}.gmfcs-level"
    coding = level["valueCodeableConcept"]["coding"][0]
    assert (coding["system"], coding["code"]) == ("urn:dmi-api:fhir:CodeSystem:gmfcs-level", "III")
    band = _component(level, "age-band")["valueCodeableConcept"]["coding"][0]
    assert band["code"] == "2-4"


def test_feas_total() -> None:
    row = _assessment(_child(), "feas", {"1": 2, "2": 1, "3": 0})
    [total] = _observations(row).values()
    assert total["valueInteger"] == 3
    assert _component(total, "items-tested")["valueInteger"] == 3


def test_drafts_and_unscored_instruments_have_no_score_observations() -> None:
    draft = _assessment(_child(), "gmfm88", {"1": 3}, status="draft")
    assert draft.scores is None
    assert score_observations(draft) == []
    evaluation = _assessment(_child(), "dmi_evaluation", {"reach": 40})
    assert evaluation.scores is None
    assert score_observations(evaluation) == []


# --- QuestionnaireResponse --------------------------------------------------------------------


def _answers(resource: dict[str, Any]) -> dict[str, Any]:
    return {item["linkId"]: item.get("answer", item.get("item")) for item in resource["item"]}


def test_questionnaire_response_of_a_scored_instrument() -> None:
    row = _assessment(_child(), "gmfm88", {"10": 2, "9": "NT", "1": 3}, goals=["B"])
    resource = questionnaire_response(row)
    QuestionnaireResponse.model_validate(resource)
    _meta_of(resource)
    assert resource["id"] == str(row.id)
    assert resource["questionnaire"] == "urn:dmi-api:fhir:Questionnaire:gmfm88"
    assert resource["status"] == "completed"
    assert resource["authored"] == "2025-04-23"
    assert resource["author"] == {"reference": f"Practitioner/{ASSESSOR}"}
    assert [item["linkId"] for item in resource["item"]] == ["1", "9", "10", "/goal_dimensions"]
    answers = _answers(resource)
    assert answers["1"] == [{"valueInteger": 3}]
    assert answers["9"] == [
        {
            "valueCoding": {
                "system": "urn:dmi-api:fhir:CodeSystem:item-value",
                "code": "NT",
                "display": "Not tested",
            }
        }
    ]
    assert answers["/goal_dimensions"] == [{"valueString": "B"}]
    draft = questionnaire_response(_assessment(_child(), "aims", {}, status="draft"))
    QuestionnaireResponse.model_validate(draft)
    assert draft["status"] == "in-progress"
    assert "item" not in draft


def test_questionnaire_response_entered_values_and_free_items() -> None:
    entered = {"standard_scores": {"locomotion": 8}, "gmq": 90}
    pdms = questionnaire_response(
        _assessment(_child(), "pdms2", {"locomotion-1": 2}, entered=entered)
    )
    QuestionnaireResponse.model_validate(pdms)
    entered_group = _answers(pdms)["/entered"]
    assert entered_group == [
        {"linkId": "/entered/gmq", "answer": [{"valueInteger": 90}]},
        {
            "linkId": "/entered/standard_scores",
            "item": [
                {"linkId": "/entered/standard_scores/locomotion", "answer": [{"valueInteger": 8}]}
            ],
        },
    ]
    gmfcs = questionnaire_response(_assessment(_child(), "gmfcs", {}, entered={"level": "II"}))
    QuestionnaireResponse.model_validate(gmfcs)
    assert _answers(gmfcs)["/entered"][0]["answer"] == [{"valueInteger": 2}]
    free = questionnaire_response(
        _assessment(_child(), "dmi_evaluation", {"reach": 45.5, "head": "NT", "roll": 3})
    )
    QuestionnaireResponse.model_validate(free)
    assert _answers(free) == {
        "head": [{"valueString": "NT"}],
        "reach": [{"valueDecimal": 45.5}],
        "roll": [{"valueInteger": 3}],
    }
    no_assessor = _assessment(_child(), "feas", {"1": 1})
    no_assessor.assessor_id = None
    assert "author" not in questionnaire_response(no_assessor)
    assert all("performer" not in o for o in score_observations(no_assessor))


# --- CarePlan, ServiceRequest, Procedure -------------------------------------------------------


def _exercise() -> Exercise:
    return Exercise(
        **_row_fields(),
        code="SIT-PELVIS-01",
        name="Tilted sitting on a wedge",
        category="sitting",
        surface="table",
        default_support_point="pelvis",
    )


def _prescription(status: str = "active", **fields: Any) -> Prescription:
    values: dict[str, Any] = {
        "child_id": uuid.uuid4(),
        "prescriber_id": uuid.uuid4(),
        "setting": "home",
        "status": status,
        "period_start": date(2025, 3, 1),
        "period_end": date(2025, 4, 30),
        "goal": "Sit without support for 10 seconds.",
        **fields,
    }
    return Prescription(**_row_fields(), **values)


def _item(prescription: Prescription, exercise: Exercise, **fields: Any) -> PrescriptionItem:
    values: dict[str, Any] = {"position": 0, "repetitions": 5, "sets": 2, "side": "n/a", **fields}
    return PrescriptionItem(
        id=uuid.uuid4(),
        clinic_id=CLINIC,
        prescription_id=prescription.id,
        exercise_id=exercise.id,
        **values,
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("draft", "draft"),
        ("active", "active"),
        ("paused", "on-hold"),
        ("completed", "completed"),
        ("discontinued", "revoked"),
    ],
)
def test_care_plan_status_period_and_live_items(status: str, expected: str) -> None:
    prescription = _prescription(status)
    exercise = _exercise()
    second = _item(prescription, exercise, position=1)
    first = _item(prescription, exercise, position=0)
    removed = _item(prescription, exercise, position=2, removed_at=UPDATED)
    resource = care_plan(prescription, [second, removed, first])
    CarePlan.model_validate(resource)
    _meta_of(resource)
    assert resource["id"] == str(prescription.id)
    assert resource["status"] == expected
    assert resource["intent"] == "plan"
    assert resource["subject"] == {"reference": f"Patient/{prescription.child_id}"}
    assert resource["author"] == {"reference": f"Practitioner/{prescription.prescriber_id}"}
    assert resource["period"] == {"start": "2025-03-01", "end": "2025-04-30"}
    assert resource["description"] == prescription.goal
    assert [a["reference"]["reference"] for a in resource["activity"]] == [
        f"ServiceRequest/{first.id}",
        f"ServiceRequest/{second.id}",
    ]


def test_care_plan_open_period_without_goal() -> None:
    resource = care_plan(_prescription(period_end=None, goal=None), [])
    CarePlan.model_validate(resource)
    assert resource["period"] == {"start": "2025-03-01"}
    assert "description" not in resource
    assert "activity" not in resource


def test_service_request_dose_timing_and_status() -> None:
    prescription = _prescription("paused")
    exercise = _exercise()
    item = _item(
        prescription,
        exercise,
        hold_seconds=10,
        side="bilateral",
        times_per_day=2,
        days_per_week=5,
        instructions="Stop when the child tires.",
    )
    resource = service_request(item, prescription, exercise, system=SYSTEM)
    ServiceRequest.model_validate(resource)
    _meta_of(resource)
    assert resource["id"] == str(item.id)
    assert resource["status"] == "on-hold"
    assert resource["intent"] == "order"
    assert resource["basedOn"] == [{"reference": f"CarePlan/{prescription.id}"}]
    assert resource["requester"] == {"reference": f"Practitioner/{prescription.prescriber_id}"}
    snomed, own = resource["code"]["coding"]
    assert (snomed["system"], snomed["code"]) == SNOMED_EXERCISE_THERAPY
    assert own == {"system": SYSTEM, "code": "SIT-PELVIS-01", "display": exercise.name}
    assert SYSTEM.endswith(f"/clinics/{CLINIC}/exercise")
    timing = resource["occurrenceTiming"]
    assert timing["repeat"] == {
        "boundsPeriod": {"start": "2025-03-01", "end": "2025-04-30"},
        "frequency": 10,
        "period": 1,
        "periodUnit": "wk",
    }
    assert timing["code"] == {"text": "2 times a day, 5 days a week"}
    [dose] = resource["extension"]
    assert {part["url"]: part for part in dose["extension"]} == {
        "repetitions": {"url": "repetitions", "valueInteger": 5},
        "sets": {"url": "sets", "valueInteger": 2},
        "hold": {
            "url": "hold",
            "valueQuantity": {
                "value": 10,
                "unit": "s",
                "system": "http://unitsofmeasure.org",
                "code": "s",
            },
        },
    }
    support, side = resource["orderDetail"]
    assert support["coding"][0]["code"] == "pelvis"  # the exercise's default
    assert side["coding"][0]["code"] == "bilateral"
    assert resource["patientInstruction"] == "Stop when the child tires."


def test_service_request_of_a_removed_item_and_partial_schedules() -> None:
    prescription = _prescription()
    exercise = _exercise()
    daily = _item(prescription, exercise, times_per_day=1, support_point="knees")
    resource = service_request(daily, prescription, exercise, system=SYSTEM)
    ServiceRequest.model_validate(resource)
    assert resource["status"] == "active"
    assert resource["occurrenceTiming"]["repeat"]["frequency"] == 1
    assert resource["occurrenceTiming"]["repeat"]["periodUnit"] == "d"
    assert resource["occurrenceTiming"]["code"] == {"text": "once a day"}
    assert resource["orderDetail"] == [
        {
            "coding": [
                {
                    "system": "urn:dmi-api:fhir:CodeSystem:support-point",
                    "code": "knees",
                    "display": "Support at the knees",
                }
            ]
        }
    ]
    weekly = _item(prescription, exercise, days_per_week=3, removed_at=UPDATED, sets=None)
    resource = service_request(weekly, prescription, exercise, system=SYSTEM)
    ServiceRequest.model_validate(resource)
    assert resource["status"] == "revoked"
    assert "frequency" not in resource["occurrenceTiming"]["repeat"]
    assert resource["occurrenceTiming"]["code"] == {"text": "3 days a week"}
    assert "patientInstruction" not in resource


def _session(attendance: str = "attended", **fields: Any) -> SessionRecord:
    values: dict[str, Any] = {
        "child_id": uuid.uuid4(),
        "practitioner_id": uuid.uuid4(),
        "type": "dmi",
        "setting": "clinic",
        "started_at": datetime(2025, 3, 4, 8, 0, tzinfo=UTC),
        "duration_minutes": 50,
        "attendance": attendance,
        **fields,
    }
    return SessionRecord(**_row_fields(), **values)


def test_procedures_of_an_attended_session() -> None:
    exercise = _exercise()
    item_id = uuid.uuid4()
    unknown = uuid.uuid4()
    session = _session(
        exercises=[
            {
                "exercise_id": str(exercise.id),
                "prescription_item_id": str(item_id),
                "repetitions": 5,
                "sets": 2,
                "support_point": "pelvis",
                "response": "partial",
                "note": "Head back to midline on the 4th repetition.",
            },
            {"exercise_id": str(unknown)},
        ]
    )
    first, second = procedures(session, {exercise.id: exercise}, system=SYSTEM)
    for index, resource in enumerate((first, second)):
        Procedure.model_validate(resource)
        _meta_of(resource)
        assert resource["id"] == f"{session.id}.exercise.{index}"
        assert resource["status"] == "completed"
        assert resource["subject"] == {"reference": f"Patient/{session.child_id}"}
        assert resource["encounter"] == {"reference": f"Encounter/{session.id}"}
        assert resource["performedPeriod"] == {
            "start": "2025-03-04T08:00:00Z",
            "end": "2025-03-04T08:50:00Z",
        }
        assert resource["performer"] == [
            {"actor": {"reference": f"Practitioner/{session.practitioner_id}"}}
        ]
        assert "note" not in resource
    assert first["basedOn"] == [{"reference": f"ServiceRequest/{item_id}"}]
    assert [c["code"] for c in first["code"]["coding"]] == ["229065009", "SIT-PELVIS-01"]
    assert first["outcome"]["coding"][0]["code"] == "partial"
    parts = {part["url"]: part for part in first["extension"][0]["extension"]}
    assert parts["repetitions"]["valueInteger"] == 5
    assert parts["sets"]["valueInteger"] == 2
    assert parts["support-point"]["valueCoding"]["code"] == "pelvis"
    assert second["code"] == {
        "coding": [
            {"system": "http://snomed.info/sct", "code": "229065009", "display": "Exercise therapy"}
        ]
    }
    assert "basedOn" not in second
    assert "extension" not in second
    assert "outcome" not in second


@pytest.mark.parametrize("attendance", ["cancelled", "no_show"])
def test_procedures_of_a_session_that_did_not_happen(attendance: str) -> None:
    exercise = _exercise()
    session = _session(
        attendance,
        practitioner_id=None,
        exercises=[{"exercise_id": str(exercise.id), "repetitions": 0}],
    )
    [resource] = procedures(session, {exercise.id: exercise}, system=SYSTEM)
    Procedure.model_validate(resource)
    assert resource["status"] == "not-done"
    assert "performedPeriod" not in resource
    assert "performer" not in resource
    assert procedures(_session(exercises=[]), {}, system=SYSTEM) == []


@pytest.mark.parametrize("instrument", ["pdms2", "pdms3"])
def test_every_pdms_subtest_id_is_a_valid_fhir_id(instrument: str) -> None:
    subtests = PDMS2_SUBTESTS if instrument == "pdms2" else PDMS3_SUBTESTS
    row = _assessment(_child(), instrument, {f"{name}-1": 1 for name in subtests})
    by_id = _observations(row)  # checks every id against FHIR's pattern
    assert len(by_id) == len(subtests)


def test_rows_with_the_same_columns_and_naive_timestamps() -> None:
    # A SQLAlchemy Row has the columns as attributes; SQLite hands timestamps back naive (UTC).
    naive = UPDATED.replace(tzinfo=None)
    session = SimpleNamespace(
        id=uuid.uuid4(),
        version=3,
        updated_at=naive,
        child_id=uuid.uuid4(),
        practitioner_id=None,
        started_at=datetime(2025, 3, 4, 8, 0),
        duration_minutes=30,
        attendance="attended",
        exercises=[{"exercise_id": str(uuid.uuid4())}],
    )
    [resource] = procedures(session, {}, system=SYSTEM)
    Procedure.model_validate(resource)
    _meta_of(resource)
    assert resource["performedPeriod"] == {
        "start": "2025-03-04T08:00:00Z",
        "end": "2025-03-04T08:30:00Z",
    }
