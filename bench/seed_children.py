"""Children with caregivers and diagnoses, one prescription of 3 exercises each, milestones."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from bench.seed_common import (
    HISTORY,
    SUPPORT_POINTS,
    ChildPlan,
    ClinicPlan,
    Row,
    between,
    dump,
    pick,
    words,
)

CHILD_COLUMNS = words(
    "id clinic_id version created_at updated_at deleted_at given_name family_name "
    "preferred_name birth_date sex gestational_age_weeks gestational_age_days diagnoses status "
    "external_id caregivers"
)
PRESCRIPTION_COLUMNS = words(
    "id clinic_id version created_at updated_at deleted_at child_id prescriber_id setting "
    "status period_start period_end goal pauses"
)
ITEM_COLUMNS = words(
    "id clinic_id prescription_id exercise_id position repetitions sets hold_seconds "
    "support_point side times_per_day days_per_week instructions removed_at"
)
MILESTONE_COLUMNS = words(
    "id clinic_id version created_at updated_at deleted_at child_id milestone achieved_on "
    "observed_on support_needed note warnings"
)
MILESTONES_PER_CHILD = 3
GIVEN = words(
    "Mia Leo Ava Noah Emma Liam Sofia Lucas Zoe Mateo Chloe Ethan Nora Adam Lily Omar Ella Hugo "
    "Aria Felix Maya Samuel Ines Jonah Layla Elias Iris Theo Hana Oscar"
)
FAMILY = words(
    "Lopez Smith Nguyen Garcia Muller Rossi Silva Kim Haddad Novak Martin Cohen Okafor Tanaka "
    "Dubois Larsen Costa Ivanova Patel Moreau Jensen Ortiz Schmidt Khan Brown Moretti"
)
DIAGNOSES = (
    ("Q90.9", "Down syndrome"),
    ("G80.1", "Spastic diplegic cerebral palsy"),
    ("G80.2", "Spastic hemiplegic cerebral palsy"),
    ("P07.3", "Preterm infant"),
    ("R62.0", "Delayed milestone"),
    ("F82", "Developmental coordination disorder"),
    ("Q05.9", "Spina bifida"),
    ("P91.6", "Hypoxic ischemic encephalopathy"),
    ("F84.0", "Autism spectrum disorder"),
    ("G71.2", "Congenital myopathy"),
)
MILESTONES = words(
    "sitting_without_support standing_with_assistance hands_and_knees_crawling "
    "walking_with_assistance standing_alone walking_alone head_control rolling four_point"
)


class ChildRows(NamedTuple):
    """The rows of one batch of children, by table."""

    child: list[Row]
    prescription: list[Row]
    prescription_item: list[Row]
    milestone: list[Row]


def _gestation(rng: random.Random) -> tuple[int | None, int | None]:
    roll = rng.random()
    if roll < 0.15:  # preterm, some very preterm
        return rng.randint(24, 36), rng.randint(0, 6)
    if roll < 0.65:
        return rng.randint(37, 41), rng.choice((None, rng.randint(0, 6)))
    return None, None


def _caregivers(rng: random.Random, family: str, n: int) -> str:
    caregivers = [
        {
            "name": f"{rng.choice(GIVEN)} {family}",
            "relationship": relationship,
            "phone": f"+1555{n % 10_000_000:07d}" if index == 0 else None,
            "email": f"caregiver{n}@example.org" if index == 0 and n % 2 else None,
            "primary": index == 0,
            "consent_to_contact": index == 0,
        }
        for index, relationship in enumerate(rng.choice((("mother",), ("mother", "father"))))
    ]
    return dump(caregivers)


def _child(plan: ClinicPlan, rng: random.Random, n: int) -> tuple[Row, ChildPlan]:
    birth = plan.today - timedelta(days=rng.randint(30, 6 * 365))
    since = max(datetime.combine(birth, time(), tzinfo=UTC), plan.now - HISTORY)
    created = between(rng, since, since + timedelta(days=2))
    weeks, days = _gestation(rng)
    family = rng.choice(FAMILY)
    diagnoses = [{"code": c, "text": t} for c, t in rng.sample(DIAGNOSES, rng.randint(0, 2))]
    status = pick(rng, {"active": 85, "on_hold": 8, "discharged": 7})
    row = (
        uuid.uuid4(),
        plan.clinic_id,
        1,
        created,
        between(rng, created, plan.now),
        None,
        rng.choice(GIVEN),
        family,
        rng.choice(GIVEN) if n % 9 == 0 else None,
        birth,
        "female" if n % 2 else "male",
        weeks,
        days if weeks is not None else None,
        dump(diagnoses),
        status,
        f"MRN-{n:08d}",
        _caregivers(rng, family, n),
    )
    return row, ChildPlan(id=row[0], birth_date=birth, since=since, items=[])


def _prescription(plan: ClinicPlan, rng: random.Random, child: ChildPlan) -> tuple[Row, list[Row]]:
    start = between(rng, child.since, plan.now - timedelta(days=1)).date()
    status = pick(rng, {"active": 75, "paused": 10, "completed": 10, "draft": 5})
    paused_on = max(start, plan.today - timedelta(days=5))
    pauses = [{"start": str(paused_on), "end": None}] if status == "paused" else []
    created = datetime.combine(start, time(9), tzinfo=UTC)
    row = (
        uuid.uuid4(),
        plan.clinic_id,
        1,
        created,
        between(rng, created, plan.now),
        None,
        child.id,
        rng.choice(plan.practitioner_ids),
        pick(rng, {"home": 60, "clinic": 30, "intensive": 10}),
        status,
        start,
        plan.today - timedelta(days=1) if status == "completed" else None,
        "Sit without support for 30 s" if rng.random() < 0.5 else None,
        dump(pauses),
    )
    items = []
    for position, exercise_id in enumerate(rng.sample(plan.exercise_ids, 3)):
        item_id = uuid.uuid4()
        child.items.append((item_id, exercise_id))
        items.append(
            (
                item_id,
                plan.clinic_id,
                row[0],
                exercise_id,
                position,
                rng.randint(3, 10),
                rng.randint(1, 3),
                rng.choice((None, 5, 10)),
                rng.choice(SUPPORT_POINTS),
                rng.choice(("n/a", "n/a", "left", "right", "bilateral")),
                rng.randint(1, 2),
                rng.randint(3, 7),
                "Stop if the child cries." if position == 0 else None,
                None,
            )
        )
    return row, items


def _milestones(plan: ClinicPlan, rng: random.Random, child: ChildPlan) -> list[Row]:
    rows = []
    for code in rng.sample(MILESTONES, MILESTONES_PER_CHILD):
        achieved: date | None = None
        if rng.random() < 0.6:
            achieved = child.birth_date + timedelta(
                days=rng.randint(0, (plan.today - child.birth_date).days)
            )
        observed = (
            min(achieved + timedelta(days=rng.randint(0, 14)), plan.today)
            if achieved
            else plan.today - timedelta(days=rng.randint(0, 60))
        )
        observed = max(observed, child.birth_date)
        created = min(datetime.combine(observed, time(10), tzinfo=UTC), plan.now)
        rows.append(
            (
                uuid.uuid4(),
                plan.clinic_id,
                1,
                created,
                created,
                None,
                child.id,
                code,
                achieved,
                observed,
                rng.choice((None, "none", "minimal", "moderate", "maximal")),
                "Observed in clinic." if rng.random() < 0.2 else None,
                "[]",  # warnings: computed by the API on write; none for seeded rows
            )
        )
    return rows


def children(
    plan: ClinicPlan, rng: random.Random, first: int, count: int
) -> tuple[ChildRows, list[ChildPlan]]:
    """Children numbered `first`…`first + count - 1` with their prescriptions and milestones."""
    rows = ChildRows([], [], [], [])
    plans = []
    for n in range(first, first + count):
        child_row, child = _child(plan, rng, n)
        prescription, items = _prescription(plan, rng, child)
        rows.child.append(child_row)
        rows.prescription.append(prescription)
        rows.prescription_item.extend(items)
        rows.milestone.extend(_milestones(plan, rng, child))
        plans.append(child)
    return rows, plans
