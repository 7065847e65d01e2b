"""The fields the computed reports read of each row, as read-only protocols.

The ORM's rows have them, and so do the plain tuples of a direct statement
(`dmi_api.direct.progress`): the report is computed by the same code from either.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol


class AssessmentRow(Protocol):
    """A final assessment: its instrument and scores."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def instrument(self) -> str: ...
    @property
    def performed_on(self) -> date: ...
    @property
    def scores(self) -> dict[str, Any] | None: ...
    @property
    def warnings(self) -> list[dict[str, str]]: ...


class StartedRow(Protocol):
    """When a session started: the instant and the UTC offset the client sent (None: unknown)."""

    @property
    def started_at(self) -> datetime: ...
    @property
    def started_at_utc_offset_minutes(self) -> int | None: ...


class SessionRow(Protocol):
    """A session record: when, what kind, attended or not, and the exercises done."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def type(self) -> str: ...
    @property
    def attendance(self) -> str: ...
    @property
    def duration_minutes(self) -> int: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def started_at_utc_offset_minutes(self) -> int | None: ...
    @property
    def exercises(self) -> list[dict[str, Any]]: ...


class PrescriptionRow(Protocol):
    """A prescription: its status, period, pauses and the day it finished."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def child_id(self) -> uuid.UUID: ...
    @property
    def status(self) -> str: ...
    @property
    def period_start(self) -> date: ...
    @property
    def period_end(self) -> date | None: ...
    @property
    def pauses(self) -> list[dict[str, Any]]: ...
    @property
    def ended_on(self) -> date | None: ...
    @property
    def setting(self) -> str: ...
    @property
    def block(self) -> dict[str, int] | None: ...


class ItemRow(Protocol):
    """A live item of a prescription: its exercise and dose."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def exercise_id(self) -> uuid.UUID: ...
    @property
    def repetitions(self) -> int | None: ...
    @property
    def sets(self) -> int | None: ...
    @property
    def times_per_day(self) -> int | None: ...
    @property
    def days_per_week(self) -> int | None: ...


class ExerciseRow(Protocol):
    """An exercise of the library, as a report names it."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def category(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ProgressData:
    """What a child's progress report over a period is computed from."""

    assessments: Sequence[AssessmentRow]  # final, in the period, in order of performance
    # Live, started within a day of the period, in order of start (`progress.build` keeps
    # those whose local date is in the period).
    records: Sequence[SessionRow]
    achieved: Mapping[str, date]  # the first achievement of each WHO milestone
    # Live prescriptions but drafts (finished ones too: they count in the periods they ran in),
    # in order of start, each with its live items in order.
    prescriptions: Sequence[tuple[PrescriptionRow, Sequence[ItemRow]]]
    exercises: Mapping[uuid.UUID, ExerciseRow]  # at least those the records name
    # For the intensive blocks: live sessions from a day before the first block's first day, in
    # order of start, and every final GMFM-88 of the child (id, date, total %).
    block_records: Sequence[SessionRow]
    gmfm88: Sequence[tuple[uuid.UUID, date, float]]
    floortime_target: Mapping[str, int] | None  # the child's DIRFloortime daily target
