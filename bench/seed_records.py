"""Session records (20 per child, 3-10 exercises each) and assessments (5 per child)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from bench.seed_common import (
    RESPONSES,
    SUPPORT_POINTS,
    ChildPlan,
    ClinicPlan,
    Row,
    between,
    dump,
    pick,
    words,
)
from dmi_api.services.session_record_views import documents_form

SESSIONS_PER_CHILD = 20
ASSESSMENTS_PER_CHILD = 5
SESSION_COLUMNS = words(
    "id clinic_id version created_at updated_at deleted_at child_id practitioner_id type "
    "setting started_at duration_minutes attendance caregiver_present exercises notes signed_at "
    "signed_by documents_form"
)
ASSESSMENT_COLUMNS = words(
    "id clinic_id version created_at updated_at deleted_at child_id assessor_id instrument "
    "performed_on status items goal_dimensions entered scores notes warnings"
)
SESSION_TYPES = {
    "dmi": 50,
    "home_practice": 20,
    "dirfloortime": 15,
    "parent_coaching": 10,
    "evaluation": 5,
}
INSTRUMENTS = {
    "gmfm88": 30,
    "aims": 15,
    "dmi_evaluation": 15,
    "hine": 10,
    "pdms2": 10,
    "gmfcs": 10,
    "gmfm66": 5,
    "feas": 5,
}


POOL = 64  # pre-encoded variants of the JSON values, drawn at random per row
NOTES = (
    {"subjective": "Slept well, good mood.", "objective": "Head control improving in prone."},
    {"subjective": "Teething, fussy.", "objective": "Tolerated 3 of 4 positions."},
    {"subjective": None, "objective": None},
)


@dataclass(frozen=True)
class Pools:
    """JSON fragments encoded once and reused: generation speed decides the seeding time."""

    exercises: list[tuple[uuid.UUID, str]]  # (exercise id, one performed exercise as JSON)
    notes: list[str]
    instruments: dict[str, list[tuple[str, str, str]]]  # items, goal dimensions, entered


def _performed_json(rng: random.Random, exercise: uuid.UUID, item: uuid.UUID | None) -> str:
    return dump(
        {
            "exercise_id": str(exercise),
            "prescription_item_id": str(item) if item else None,
            "repetitions": rng.randint(3, 10),
            "sets": rng.randint(1, 3),
            "support_point": rng.choice(SUPPORT_POINTS),
            "response": rng.choice(RESPONSES),
            "note": "Tired at the end." if rng.random() < 0.1 else None,
        }
    )


def make_pools(plan: ClinicPlan, rng: random.Random) -> Pools:
    """The pools of one clinic (its exercise ids are in the fragments)."""
    exercises = [(e, _performed_json(rng, e, None)) for e in plan.exercise_ids for _ in range(8)]
    notes = [
        dump({"assessment": None, **base, "plan": plan_text})
        for base in NOTES
        for plan_text in (None, "Move the hold to the thighs next week.")
    ]
    instruments = {name: [_encoded(rng, name) for _ in range(POOL)] for name in INSTRUMENTS}
    return Pools(exercises, notes, instruments)


def _encoded(rng: random.Random, instrument: str) -> tuple[str, str, str]:
    items, goals, entered = _items(rng, instrument)
    return dump(items), dump(goals), dump(entered)


def _performed(rng: random.Random, pools: Pools, child: ChildPlan, count: int) -> str:
    chosen: list[str] = []
    taken: set[uuid.UUID] = set()
    if rng.random() < 0.6:  # the child's prescribed exercises, delivered
        for item, exercise in child.items:
            chosen.append(_performed_json(rng, exercise, item))
            taken.add(exercise)
    while len(chosen) < count:
        exercise, fragment = pools.exercises[int(rng.random() * len(pools.exercises))]
        if exercise not in taken:
            taken.add(exercise)
            chosen.append(fragment)
    return "[" + ",".join(chosen) + "]"


def _session(plan: ClinicPlan, rng: random.Random, pools: Pools, child: ChildPlan) -> Row:
    kind = pick(rng, SESSION_TYPES)
    home = kind == "home_practice"
    started = between(rng, child.since, plan.now - timedelta(hours=2))
    minutes = rng.choice((20, 30, 45, 50, 60)) if not home else rng.choice((10, 15, 20))
    attendance = "attended" if home else pick(rng, {"attended": 90, "cancelled": 6, "no_show": 4})
    practitioner = None if home else rng.choice(plan.practitioner_ids)
    attended = attendance == "attended"
    exercises = _performed(rng, pools, child, rng.randint(3, 10)) if attended else "[]"
    created = started + timedelta(minutes=minutes + rng.randint(0, 120))
    signed = practitioner is not None and rng.random() < 0.8
    signed_at = created + timedelta(hours=rng.randint(1, 48)) if signed else None
    notes = rng.choice(pools.notes)
    return (
        uuid.uuid4(),
        plan.clinic_id,
        1,
        created,
        min(signed_at or created, plan.now),
        None,
        child.id,
        practitioner,
        kind,
        "home" if home else pick(rng, {"clinic": 85, "telehealth": 10, "home": 5}),
        started,
        minutes,
        attendance,
        home or rng.random() < 0.7,
        exercises,
        notes,
        min(signed_at, plan.now) if signed_at else None,
        practitioner if signed else None,
        # As the app's writes mark them (what they hold decides).
        documents_form(orjson.loads(exercises), orjson.loads(notes)),
    )


def _numbered(rng: random.Random, count: int, values: tuple[Any, ...]) -> dict[str, Any]:
    return {str(n): rng.choice(values) for n in range(1, count + 1)}


def _items(rng: random.Random, instrument: str) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """Valid items, goal dimensions and entered values of one instrument."""
    if instrument == "gmfm88":
        goals = sorted(rng.sample(["A", "B", "C", "D", "E"], rng.randint(1, 2)))
        return _numbered(rng, 88, (0, 1, 2, 3, 3, "NT")), goals, {}
    if instrument == "gmfm66":
        score = round(rng.uniform(20, 80), 1)
        entered = {
            "gmae_score": score,
            "standard_error": 1.5,
            "ci95_low": score - 3,
            "ci95_high": score + 3,
        }
        return _numbered(rng, 66, (0, 1, 2, 3)), ["B", "C"], entered
    if instrument == "aims":
        positions = {"prone": 21, "supine": 9, "sitting": 12, "standing": 16}
        items = {
            f"{p}-{n}": rng.randint(0, 1) for p, c in positions.items() for n in range(1, c + 1)
        }
        return items, [], {"percentile": rng.randint(5, 95)} if rng.random() < 0.5 else {}
    if instrument == "hine":
        return _numbered(rng, 26, (0, 1, 2, 3)), [], {}
    if instrument == "pdms2":
        items = {f"stationary-{n}": rng.randint(0, 2) for n in range(1, 31)}
        items |= {f"locomotion-{n}": rng.randint(0, 2) for n in range(1, 41)}
        return items, [], {"gmq": rng.randint(60, 110)}
    if instrument == "gmfcs":
        return {}, [], {"level": rng.randint(1, 5)}
    if instrument == "feas":
        return _numbered(rng, 60, (0, 1, 2)), [], {}
    free: dict[str, Any] = {
        "head_control": rng.randint(0, 100),
        "sitting_balance": rng.choice(("emerging", "present")),
    }
    return free, [], {}


def _assessment(plan: ClinicPlan, rng: random.Random, pools: Pools, child: ChildPlan) -> Row:
    instrument = pick(rng, INSTRUMENTS)
    performed = between(rng, child.since, plan.now - timedelta(days=1))
    items, goals, entered = rng.choice(pools.instruments[instrument])
    created = performed + timedelta(hours=rng.randint(1, 72))
    return (
        uuid.uuid4(),
        plan.clinic_id,
        1,
        created,
        min(created + timedelta(days=rng.randint(0, 10)), plan.now),
        None,
        child.id,
        rng.choice(plan.practitioner_ids),
        instrument,
        performed.date(),
        "final" if rng.random() < 0.7 else "draft",
        items,
        goals,
        entered,
        None,  # scores: computed by the API on write; left NULL for seeded rows
        "Cooperative, tired after 30 min." if rng.random() < 0.2 else None,
        "[]",  # warnings: as scores, computed by the API on write
    )


def records(
    plan: ClinicPlan, rng: random.Random, pools: Pools, children: list[ChildPlan]
) -> tuple[list[Row], list[Row]]:
    """Session records and assessments of these children."""
    sessions = [_session(plan, rng, pools, c) for c in children for _ in range(SESSIONS_PER_CHILD)]
    assessments = [
        _assessment(plan, rng, pools, c) for c in children for _ in range(ASSESSMENTS_PER_CHILD)
    ]
    return sessions, assessments
