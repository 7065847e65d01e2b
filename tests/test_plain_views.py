"""Bodies built straight from rows (`plain`) equal what the response models produce."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from dmi_api.clinical.ages import AgeRule
from dmi_api.http.responses import FastJSONResponse
from dmi_api.models import Child, SessionAmendment, SessionRecord
from dmi_api.rule_values import RuleSettings
from dmi_api.schemas.base import plain
from dmi_api.schemas.children import ChildPublic
from dmi_api.services import session_record_views
from dmi_api.services.rules_in_effect import age_plain, age_public

RULES = RuleSettings(age_rule=AgeRule(), aims_norms=None)


def _child(**fields: Any) -> Child:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "clinic_id": uuid.uuid4(),
        "version": 3,
        "created_at": datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        "updated_at": datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC),
        "deleted_at": None,
        "given_name": "Mia",
        "family_name": "Lopez",
        "preferred_name": None,
        "birth_date": date(2024, 3, 1),
        "sex": "female",
        "gestational_age_weeks": 32,
        "gestational_age_days": 4,
        "diagnoses": [{"code": "Q90.9", "text": "Down syndrome"}, {"code": "G80.1", "text": None}],
        "caregivers": [
            {
                "name": "Sara Lopez",
                "relationship": "mother",
                "phone": "+15551234567",
                "email": None,
                "primary": True,
                "consent_to_contact": True,
            }
        ],
        "status": "active",
        "external_id": "MRN-1042",
    }
    values.update(fields)
    return Child(**values)


def _rendered(body: dict[str, Any]) -> Any:
    return json.loads(bytes(FastJSONResponse(body).body))


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"gestational_age_weeks": None, "gestational_age_days": None, "diagnoses": []},
        {"deleted_at": datetime(2025, 3, 1, tzinfo=UTC), "caregivers": [], "external_id": None},
    ],
)
def test_child_plain_body_equals_the_model(fields: dict[str, Any]) -> None:
    row = _child(**fields)
    on = date(2024, 9, 1)
    model = ChildPublic.model_validate(row, from_attributes=True)
    model.age = age_public(RULES, row, on)
    expected = model.model_dump(mode="json")
    assert _rendered(plain(row, ChildPublic, age=age_plain(RULES, row, on))) == expected


def _record(**fields: Any) -> SessionRecord:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "clinic_id": uuid.uuid4(),
        "version": 2,
        "created_at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        "updated_at": datetime(2025, 1, 2, 3, 4, 5, 1, tzinfo=UTC),
        "child_id": uuid.uuid4(),
        "practitioner_id": uuid.uuid4(),
        "type": "dmi",
        "setting": "clinic",
        "started_at": datetime(2025, 1, 2, 9, 0, tzinfo=UTC),
        "duration_minutes": 50,
        "attendance": "attended",
        "caregiver_present": True,
        # As stored: every key, or (older rows) only some.
        "exercises": [
            {"exercise_id": str(uuid.uuid4()), "repetitions": 5, "support_point": "knees"},
            {
                "exercise_id": str(uuid.uuid4()),
                "prescription_item_id": str(uuid.uuid4()),
                "repetitions": None,
                "sets": 2,
                "support_point": None,
                "response": "full",
                "note": "Tired.",
            },
        ],
        "notes": {"subjective": "Slept well.", "plan": None},
        "signed_at": datetime(2025, 1, 2, 10, 0, tzinfo=UTC),
        "signed_by": uuid.uuid4(),
    }
    values.update(fields)
    return SessionRecord(**values)


@pytest.mark.parametrize("fields", [{}, {"exercises": [], "notes": {}, "signed_at": None}])
def test_session_record_plain_body_equals_the_model(fields: dict[str, Any]) -> None:
    row = _record(**fields)
    amendment = SessionAmendment(
        id=uuid.uuid4(),
        clinic_id=row.clinic_id,
        session_record_id=row.id,
        author_id=None,
        reason="Typo",
        text="Knees, not thighs.",
        created_at=datetime(2025, 1, 3, tzinfo=UTC),
        client_id=uuid.uuid4(),
    )
    expected = session_record_views.to_public(row, [amendment]).model_dump(mode="json")
    assert _rendered(session_record_views.plain_view(row, [amendment])) == expected
