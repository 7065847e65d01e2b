"""What the seed generators share: the clinic's fixed rows, time helpers, JSON encoding."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

Row = tuple[Any, ...]
HISTORY = timedelta(days=730)  # session records and assessments span the last 2 years
SUPPORT_POINTS = ("trunk", "pelvis", "thighs", "knees", "ankles", "hands")
RESPONSES = ("none", "partial", "full")


def dump(value: object) -> str:
    """JSON text for a jsonb column."""
    return orjson.dumps(value).decode()


def words(text: str) -> list[str]:
    """The words of a string: column and name lists read best written as one."""
    return text.split()


def pick(rng: random.Random, weighted: dict[str, int]) -> str:
    """One key, drawn with the weights given as values."""
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A random instant in [start, end)."""
    span = max((end - start).total_seconds(), 1.0)
    return start + timedelta(seconds=rng.random() * span)


@dataclass
class ClinicPlan:
    """The clinic's fixed rows the per-child generators refer to."""

    clinic_id: uuid.UUID
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    practitioner_ids: list[uuid.UUID] = field(default_factory=list)
    exercise_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def today(self) -> date:
        """Today in UTC."""
        return self.now.date()


@dataclass(frozen=True)
class ChildPlan:
    """One seeded child, as its records need it."""

    id: uuid.UUID
    birth_date: date
    since: datetime  # records start here: the later of birth and two years ago
    items: list[tuple[uuid.UUID, uuid.UUID]]  # (prescription item id, exercise id)
