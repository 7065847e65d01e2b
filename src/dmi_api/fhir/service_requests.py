"""A prescription item as a FHIR R4 ServiceRequest (docs/fhir.md, "ServiceRequest"); the exercise
coding and the dose extension that Procedure shares."""

from __future__ import annotations

from typing import Any

from dmi_api.fhir.identifiers import instant, row_meta

# The exercises are the clinic's own: their codes are a per-clinic system
# (`identifier_system(issuer, clinic_id, SYSTEM_KIND)`), beside SNOMED CT's exercise therapy.
SYSTEM_KIND = "exercise"
SNOMED = "http://snomed.info/sct"
EXERCISE_THERAPY = {"system": SNOMED, "code": "229065009", "display": "Exercise therapy"}
UCUM = "http://unitsofmeasure.org"
# The API's own extension and code systems (docs/fhir.md).
DOSE = "urn:dmi-api:fhir:StructureDefinition:exercise-dose"
SUPPORT_POINTS = "urn:dmi-api:fhir:CodeSystem:support-point"
SIDES = "urn:dmi-api:fhir:CodeSystem:side"
SUPPORT_NAMES = {
    "trunk": "Support at the trunk",
    "pelvis": "Support at the pelvis",
    "thighs": "Support at the thighs",
    "knees": "Support at the knees",
    "ankles": "Support at the ankles",
    "hands": "Support at the hands",
    "other": "Other support point",
}
SIDE_NAMES = {"left": "Left side", "right": "Right side", "bilateral": "Both sides"}
# A program's status is each of its items' (a removed item is `revoked`).
STATUSES = {
    "draft": "draft",
    "active": "active",
    "paused": "on-hold",
    "completed": "completed",
    "discontinued": "revoked",
}


def exercise_concept(exercise: Any, system: str) -> dict[str, Any]:
    """SNOMED CT exercise therapy and, when known (an `Exercise` or row), the clinic's exercise
    (`system`: its code system)."""
    if exercise is None:
        return {"coding": [EXERCISE_THERAPY]}
    own = {"system": system, "code": exercise.code, "display": exercise.name}
    return {"coding": [EXERCISE_THERAPY, own], "text": exercise.name}


def support_point(code: str) -> dict[str, Any]:
    """A support point as a Coding of the API's system."""
    return {"system": SUPPORT_POINTS, "code": code, "display": SUPPORT_NAMES[code]}


def dose_extension(
    *,
    repetitions: int | None,
    sets: int | None,
    hold_seconds: int | None = None,
    support: str | None = None,
) -> list[dict[str, Any]]:
    """The `exercise-dose` extension (empty when nothing is known)."""
    parts: list[dict[str, Any]] = []
    if repetitions is not None:
        parts.append({"url": "repetitions", "valueInteger": repetitions})
    if sets is not None:
        parts.append({"url": "sets", "valueInteger": sets})
    if hold_seconds is not None:
        hold = {"value": hold_seconds, "unit": "s", "system": UCUM, "code": "s"}
        parts.append({"url": "hold", "valueQuantity": hold})
    if support is not None:
        parts.append({"url": "support-point", "valueCoding": support_point(support)})
    return [{"url": DOSE, "extension": parts}] if parts else []


def _count(number: int, unit: str) -> str:
    if unit == "time":
        return "once a day" if number == 1 else f"{number} times a day"
    return f"{number} day{'' if number == 1 else 's'} a week"


def timing(item: Any, prescription: Any) -> dict[str, Any]:
    """`Timing`: within the program's period; practices per week when both counts are known
    (the adherence rule spreads them evenly), per day with only `times_per_day`."""
    bounds = {"start": prescription.period_start.isoformat()}
    if prescription.period_end is not None:
        bounds["end"] = prescription.period_end.isoformat()
    repeat: dict[str, Any] = {"boundsPeriod": bounds}
    per_day, per_week = item.times_per_day, item.days_per_week
    if per_day is not None and per_week is not None:
        repeat.update(frequency=per_day * per_week, period=1, periodUnit="wk")
    elif per_day is not None:
        repeat.update(frequency=per_day, period=1, periodUnit="d")
    result: dict[str, Any] = {"repeat": repeat}
    words = [_count(per_day, "time")] if per_day is not None else []
    words += [_count(per_week, "day")] if per_week is not None else []
    if words:
        result["code"] = {"text": ", ".join(words)}
    return result


def service_request(item: Any, prescription: Any, exercise: Any, *, system: str) -> dict[str, Any]:
    """The ServiceRequest of a stored `PrescriptionItem` with its `Prescription` and `Exercise`
    (or rows; `system`: the clinic's exercise code system); its `meta` is the prescription's
    (items change only with it)."""
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(item.id),
        "meta": row_meta(prescription.version, prescription.updated_at),
        "basedOn": [{"reference": f"CarePlan/{prescription.id}"}],
        "status": "revoked" if item.removed_at is not None else STATUSES[prescription.status],
        "intent": "order",
        "code": exercise_concept(exercise, system),
        "subject": {"reference": f"Patient/{prescription.child_id}"},
        "occurrenceTiming": timing(item, prescription),
        "authoredOn": instant(prescription.created_at),
        "requester": {"reference": f"Practitioner/{prescription.prescriber_id}"},
    }
    details = [{"coding": [support_point(item.support_point or exercise.default_support_point)]}]
    if item.side in SIDE_NAMES:
        details.append(
            {"coding": [{"system": SIDES, "code": item.side, "display": SIDE_NAMES[item.side]}]}
        )
    resource["orderDetail"] = details
    extension = dose_extension(
        repetitions=item.repetitions, sets=item.sets, hold_seconds=item.hold_seconds
    )
    if extension:
        resource["extension"] = extension
    if item.instructions:
        resource["patientInstruction"] = item.instructions
    return resource
