"""An assessment's items and entered values as a FHIR R4 QuestionnaireResponse
(docs/fhir.md, "QuestionnaireResponse")."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from dmi_api.fhir.identifiers import row_meta

# The questionnaire of an instrument: a canonical of the API's own (no Questionnaire is served:
# item wording is copyrighted and never stored).
QUESTIONNAIRE = "urn:dmi-api:fhir:Questionnaire:{instrument}"
# The API's own code system for item values that are not scores: `NT`, not tested.
ITEM_VALUES = "urn:dmi-api:fhir:CodeSystem:item-value"
NOT_TESTED = {"system": ITEM_VALUES, "code": "NT", "display": "Not tested"}
# Free instruments: any text is an answer, "NT" too.
FREE = frozenset({"dmi_evaluation", "custom"})
# Link ids of what is not an item start with "/", which no item id has.
ENTERED = "/entered"
GOALS = "/goal_dimensions"
STATUSES = {"draft": "in-progress", "final": "completed"}


@lru_cache(maxsize=8192)  # item ids are an instrument's catalogue: the same few hundred
def _natural(key: str) -> tuple[tuple[int, str], ...]:
    """'prone-10' after 'prone-9': numbers compared as numbers."""
    return tuple(
        (0, part) if not part.isdigit() else (int(part), "") for part in re.split(r"(\d+)", key)
    )


def _answers(value: Any, *, scored: bool) -> list[dict[str, Any]]:
    kind = type(value)  # exact types: a bool is not an int here
    if kind is int:
        return [{"valueInteger": value}]
    if kind is str:
        return (
            [{"valueCoding": NOT_TESTED}] if scored and value == "NT" else [{"valueString": value}]
        )
    if kind is bool:
        return [{"valueBoolean": value}]
    if kind is float:
        return [{"valueDecimal": value}]
    if kind is list:
        return [answer for one in value for answer in _answers(one, scored=scored)]
    return []


def _items(values: dict[str, Any], prefix: str, *, scored: bool) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for key in sorted(values, key=_natural):
        link_id = prefix + key
        value = values[key]
        if type(value) is dict:
            children = _items(value, link_id + "/", scored=scored)
            items.append({"linkId": link_id, "item": children} if children else {"linkId": link_id})
        else:
            answers = _answers(value, scored=scored)
            items.append({"linkId": link_id, "answer": answers} if answers else {"linkId": link_id})
    return items


def questionnaire_response(assessment: Any) -> dict[str, Any]:
    """The QuestionnaireResponse of a stored assessment (an `Assessment` or a row with its
    columns), draft or final: its items (link id = item id), then the entered values and the
    GMFM goal dimensions."""
    scored = assessment.instrument not in FREE
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(assessment.id),
        "meta": row_meta(assessment.version, assessment.updated_at),
        "questionnaire": QUESTIONNAIRE.format(instrument=assessment.instrument),
        "status": STATUSES[assessment.status],
        "subject": {"reference": f"Patient/{assessment.child_id}"},
        "authored": assessment.performed_on.isoformat(),
    }
    if assessment.assessor_id is not None:
        resource["author"] = {"reference": f"Practitioner/{assessment.assessor_id}"}
    items = _items(assessment.items, "", scored=scored)
    if assessment.entered:
        entered = _items(assessment.entered, f"{ENTERED}/", scored=scored)
        items.append({"linkId": ENTERED, "item": entered})
    if assessment.goal_dimensions:
        goals = [{"valueString": dimension} for dimension in sorted(assessment.goal_dimensions)]
        items.append({"linkId": GOALS, "answer": goals})
    if items:
        resource["item"] = items
    return resource
