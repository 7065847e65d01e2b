"""A final assessment's scores as FHIR R4 Observations, one per score, read from the stored
`scores` (docs/fhir.md, "Observation (assessment scores)")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dmi_api.fhir.identifiers import row_meta

CATEGORIES = "http://terminology.hl7.org/CodeSystem/observation-category"
SURVEY = {"system": CATEGORIES, "code": "survey", "display": "Survey"}
UCUM = "http://unitsofmeasure.org"
INTERPRETATIONS = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# The API's own code systems (no licensed text; docs/fhir.md).
INSTRUMENTS = "urn:dmi-api:fhir:CodeSystem:instrument"
SCORES = "urn:dmi-api:fhir:CodeSystem:score"
GMFCS_LEVELS = "urn:dmi-api:fhir:CodeSystem:gmfcs-level"
GMFCS_AGE_BANDS = "urn:dmi-api:fhir:CodeSystem:gmfcs-age-band"
PERCENTILE_SOURCES = "urn:dmi-api:fhir:CodeSystem:percentile-source"
INSTRUMENT_NAMES = {
    "gmfm88": "GMFM-88",
    "gmfm66": "GMFM-66",
    "aims": "AIMS",
    "hine": "HINE",
    "pdms2": "PDMS-2",
    "pdms3": "PDMS-3",
    "gmfcs": "GMFCS-E&R",
    "feas": "FEAS",
    "fedc": "FEDC level",
    "dmi_evaluation": "DMI evaluation",
    "custom": "Custom assessment",
}
GMFM_DIMENSIONS = {
    "A": "lying and rolling",
    "B": "sitting",
    "C": "crawling and kneeling",
    "D": "standing",
    "E": "walking, running and jumping",
}
HINE_SECTIONS = {
    "cranial_nerves": "cranial nerves",
    "posture": "posture",
    "movements": "movements",
    "tone": "tone",
    "reflexes_reactions": "reflexes and reactions",
}
# Score codes are the id's suffix: with a 36-character UUID and the dot, at most 27 characters.
PDMS_SLUGS = {"visual_motor_integration": "vmi"}

Part = dict[str, Any]


def _words(name: str) -> str:
    return name.replace("_", " ")


def _slug(name: str) -> str:
    return PDMS_SLUGS.get(name, name).replace("_", "-")


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _percent(value: float) -> dict[str, Any]:
    return {"valueQuantity": _quantity(value, "%", "%")}


def _points(value: float) -> dict[str, Any]:
    return _quantity(value, "score", "{score}")


def _component(code: str, display: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"code": {"coding": [{"system": SCORES, "code": code, "display": display}]}, **value}


def _tested(count: int, code: str = "items-tested", display: str = "Items tested") -> Part:
    return _component(code, display, {"valueInteger": count})


def _coded(system: str, code: str, display: str) -> dict[str, Any]:
    return {
        "valueCodeableConcept": {"coding": [{"system": system, "code": code, "display": display}]}
    }


def _gmfm88(scores: dict[str, Any]) -> list[Part]:
    dims = {letter: f"gmfm88-dim-{letter.lower()}" for letter in GMFM_DIMENSIONS}
    total_parts = [_tested(scores["items_tested"])]
    total_parts.append(_tested(scores["items_missing"], "items-missing", "Items missing"))
    parts: list[Part] = [
        {
            "code": "gmfm88-total",
            "display": "GMFM-88 total score",
            "value": _percent(scores["total_percent"]),
            "members": list(dims.values()),
            "component": total_parts,
        }
    ]
    if scores["goal_total_percent"] is not None:
        parts.append(
            {
                "code": "gmfm88-goal-total",
                "display": "GMFM-88 goal total score",
                "value": _percent(scores["goal_total_percent"]),
                "members": [dims[letter] for letter in scores["goal_dimensions"]],
            }
        )
    for letter, name in GMFM_DIMENSIONS.items():
        dim = scores["dimensions"][letter]
        parts.append(
            {
                "code": dims[letter],
                "display": f"GMFM-88 dimension {letter} ({name})",
                "value": _percent(dim["percent"]),
                "component": [
                    _component("raw", "Raw score", {"valueInteger": dim["raw"]}),
                    _tested(dim["items_tested"]),
                ],
            }
        )
    return parts


def _gmfm66(scores: dict[str, Any]) -> list[Part]:
    if scores["gmae_score"] is None:
        return []
    components = [_tested(scores["items_tested"])]
    if scores["standard_error"] is not None:
        error = {"valueQuantity": _points(scores["standard_error"])}
        components.append(_component("standard-error", "Standard error", error))
    bounds = {
        side: _points(scores[f"ci95_{side}"])
        for side in ("low", "high")
        if scores[f"ci95_{side}"] is not None
    }
    if bounds:
        components.append(_component("ci95", "95% confidence interval", {"valueRange": bounds}))
    return [
        {
            "code": "gmfm66-score",
            "display": "GMFM-66 score (GMAE-2)",
            "value": {"valueQuantity": _points(scores["gmae_score"])},
            "component": components,
        }
    ]


def _aims(scores: dict[str, Any]) -> list[Part]:
    positions = scores["positions"]
    parts: list[Part] = [
        {
            "code": "aims-total",
            "display": "AIMS total score",
            "value": {"valueInteger": scores["total"]},
            "members": [f"aims-{position}" for position in positions],
        }
    ]
    parts += [
        {
            "code": f"aims-{position}",
            "display": f"AIMS {position} subscore",
            "value": {"valueInteger": subscore["raw"]},
        }
        for position, subscore in positions.items()
    ]
    if scores["percentile"] is not None:
        source = scores["percentile_source"]
        names = {"clinic_norms": "The clinic's norm table", "entered": "Entered by the clinician"}
        parts.append(
            {
                "code": "aims-percentile",
                "display": "AIMS percentile rank",
                "value": {
                    "valueQuantity": _quantity(scores["percentile"], "percentile", "{percentile}")
                },
                "derived": ["aims-total"],
                "component": [
                    _component(
                        "percentile-source",
                        "Percentile source",
                        _coded(PERCENTILE_SOURCES, source, names[source]),
                    )
                ],
            }
        )
    return parts


def _hine(scores: dict[str, Any]) -> list[Part]:
    sections = {name: f"hine-{_slug(name)}" for name in scores["sections"]}
    total: Part = {
        "code": "hine-global",
        "display": "HINE global score",
        "value": {"valueInteger": scores["global"]},
        "members": list(sections.values()),
        "component": [_tested(scores["items_tested"])],
    }
    optimality = scores["optimality"]
    if optimality is not None:
        weeks = _quantity(optimality["reference_age_weeks"], "wk", "wk")
        total["referenceRange"] = [
            {
                "low": {"value": optimality["reference_score"]},
                "age": {"low": weeks, "high": weeks},
                "text": "10th percentile of term-born infants (J Pediatr 2022)",
            }
        ]
        code, display = ("L", "Low") if optimality["below_reference"] else ("N", "Normal")
        total["interpretation"] = [
            {"coding": [{"system": INTERPRETATIONS, "code": code, "display": display}]}
        ]
    return [total] + [
        {
            "code": code,
            "display": f"HINE {HINE_SECTIONS[name]} section score",
            "value": {"valueInteger": scores["sections"][name]["raw"]},
        }
        for name, code in sections.items()
    ]


def _pdms(instrument: str) -> Callable[[dict[str, Any]], list[Part]]:
    name = INSTRUMENT_NAMES[instrument]

    def parts(scores: dict[str, Any]) -> list[Part]:
        standard = scores["standard_scores"] or {}
        result: list[Part] = []
        for subtest in sorted(set(scores["subtests"]) | set(standard)):
            components: list[Part] = []
            if subtest in scores["subtests"]:
                raw = scores["subtests"][subtest]
                components.append(_component("raw", "Raw score", {"valueInteger": raw["raw"]}))
                components.append(_tested(raw["items_scored"], "items-scored", "Items scored"))
            if subtest in standard:
                value = {"valueInteger": standard[subtest]}
                components.append(_component("standard-score", "Standard score", value))
            result.append(
                {
                    "code": f"{instrument}-{_slug(subtest)}",
                    "display": f"{name} {_words(subtest)} subtest",
                    "value": {},
                    "component": components,
                }
            )
        for quotient, words in (("gmq", "Gross"), ("fmq", "Fine"), ("tmq", "Total")):
            if scores[quotient] is not None:
                result.append(
                    {
                        "code": f"{instrument}-{quotient}",
                        "display": f"{name} {words} Motor Quotient",
                        "value": {"valueInteger": scores[quotient]},
                    }
                )
        return result

    return parts


def _gmfcs(scores: dict[str, Any]) -> list[Part]:
    roman = scores["level_roman"]
    if roman is None:
        return []
    part: Part = {
        "code": "gmfcs-level",
        "display": "GMFCS-E&R level",
        "value": _coded(GMFCS_LEVELS, roman, f"Level {roman}"),
    }
    band = scores["age_band"]
    if band is not None:
        value = _coded(GMFCS_AGE_BANDS, band, f"Age band {band} years")
        part["component"] = [_component("age-band", "Age band", value)]
    return [part]


def _feas(scores: dict[str, Any]) -> list[Part]:
    return [
        {
            "code": "feas-total",
            "display": "FEAS total score",
            "value": {"valueInteger": scores["total"]},
            "component": [_tested(scores["items_tested"])],
        }
    ]


def _fedc(scores: dict[str, Any]) -> list[Part]:
    if scores["level"] is None:
        return []
    return [
        {
            "code": "fedc-level",
            "display": "Functional Emotional Developmental Capacity level",
            "value": {"valueInteger": scores["level"]},
        }
    ]


_PARTS: dict[str, Callable[[dict[str, Any]], list[Part]]] = {
    "gmfm88": _gmfm88,
    "gmfm66": _gmfm66,
    "aims": _aims,
    "hine": _hine,
    "pdms2": _pdms("pdms2"),
    "pdms3": _pdms("pdms3"),
    "gmfcs": _gmfcs,
    "feas": _feas,
    "fedc": _fedc,
}


def score_observation_id(assessment_id: object, code: str) -> str:
    """`{assessment_id}.{score code}`."""
    return f"{assessment_id}.{code}"


def score_observations(assessment: Any) -> list[dict[str, Any]]:
    """The Observations of a stored final assessment's `scores` (an `Assessment` or a row with
    its columns); none for a draft, an instrument without scoring (DMI evaluation, custom) or
    scores not computed."""
    build = _PARTS.get(assessment.instrument)
    if assessment.status != "final" or not assessment.scores or build is None:
        return []
    rule = assessment.scores["rule"]
    return [_observation(assessment, rule, part) for part in build(assessment.scores)]


def _observation(assessment: Any, rule: str, part: Part) -> dict[str, Any]:
    instrument = INSTRUMENT_NAMES[assessment.instrument]
    method = {"system": INSTRUMENTS, "code": assessment.instrument, "display": instrument}
    code = {"system": SCORES, "code": part["code"], "display": part["display"]}
    derived = [f"QuestionnaireResponse/{assessment.id}"]
    derived += [
        f"Observation/{score_observation_id(assessment.id, c)}" for c in part.get("derived", [])
    ]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": score_observation_id(assessment.id, part["code"]),
        "meta": row_meta(assessment.version, assessment.updated_at),
        "status": "final",
        "category": [{"coding": [SURVEY]}],
        "code": {"coding": [code]},
        "subject": {"reference": f"Patient/{assessment.child_id}"},
        "effectiveDateTime": assessment.performed_on.isoformat(),
        **part["value"],
        "method": {"coding": [method], "text": f"{instrument}, scoring rule {rule}"},
        "derivedFrom": [{"reference": reference} for reference in derived],
    }
    if assessment.assessor_id is not None:
        resource["performer"] = [{"reference": f"Practitioner/{assessment.assessor_id}"}]
    if part.get("members"):
        resource["hasMember"] = [
            {"reference": f"Observation/{score_observation_id(assessment.id, c)}"}
            for c in part["members"]
        ]
    for key in ("component", "referenceRange", "interpretation"):
        if part.get(key):
            resource[key] = part[key]
    return resource
