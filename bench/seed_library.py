"""The clinic's practitioners and exercise library (fixed sizes at every scale)."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from bench.seed_common import SUPPORT_POINTS, ClinicPlan, Row, dump, words

PRACTITIONERS = 20
EXERCISES = 60
PRACTITIONER_COLUMNS = words(
    "id clinic_id version created_at updated_at deleted_at name discipline credentials "
    "external_id active"
)
EXERCISE_COLUMNS = words(
    "id clinic_id version created_at updated_at deleted_at code name category start_position "
    "surface default_support_point desired_response undesired_responses progression_level "
    "media_url active"
)
CATEGORIES = words(
    "head_control rolling sitting four_point crawling kneeling standing walking transitions stairs"
)
DISCIPLINES = ("PT", "PT", "PT", "OT", "SLP", "other")


def practitioners(plan: ClinicPlan, rng: random.Random) -> list[Row]:
    """About 20 therapists; their ids go into the plan."""
    rows = []
    for n in range(PRACTITIONERS):
        row_id = uuid.uuid4()
        plan.practitioner_ids.append(row_id)
        created = plan.now - timedelta(days=rng.randint(400, 1500))
        discipline = DISCIPLINES[n % len(DISCIPLINES)]
        rows.append(
            (
                row_id,
                plan.clinic_id,
                1,
                created,
                created + timedelta(days=rng.randint(0, 300)),
                None,
                f"Therapist {n + 1:02d}",
                discipline,
                "DMI Level C" if discipline == "PT" else None,
                f"STAFF-{n + 1:04d}",
                n % 10 != 9,
            )
        )
    return rows


def exercises(plan: ClinicPlan, rng: random.Random) -> list[Row]:
    """About 60 exercises of the library; their ids go into the plan."""
    rows = []
    for n in range(EXERCISES):
        row_id = uuid.uuid4()
        plan.exercise_ids.append(row_id)
        category = CATEGORIES[n % len(CATEGORIES)]
        support = SUPPORT_POINTS[n % len(SUPPORT_POINTS)]
        created = plan.now - timedelta(days=rng.randint(400, 1500))
        rows.append(
            (
                row_id,
                plan.clinic_id,
                1,
                created,
                created + timedelta(days=rng.randint(0, 300)),
                None,
                f"{category.upper()[:4]}-{support.upper()[:4]}-{n + 1:02d}",
                f"{category.replace('_', ' ').title()} exercise {n + 1}, hold at {support}",
                category,
                "Prone on the table" if n % 3 == 0 else "Sitting across the therapist's knees",
                ("table", "floor", "equipment")[n % 3],
                support,
                "Automatic righting of head and trunk.",
                dump(["Hyperextension of the neck", "Arms fixed in high guard"][: 1 + n % 2]),
                1 + n % 10,
                f"https://media.example.org/exercises/{n + 1}.mp4" if n % 4 == 0 else None,
                True,
            )
        )
    return rows
