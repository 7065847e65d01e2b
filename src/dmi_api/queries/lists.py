"""The lists' filters, one `ListSpec` each (`list_specs`): add a filter here, and the query
string, its OpenAPI parameters, both paths' statements and the cursors follow."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from dmi_api.queries.list_specs import Filter, ListSpec, Range
from dmi_api.schemas.base import ExternalId, IsoAwareDateTime, IsoDate, Name
from dmi_api.schemas.children import ChildStatus
from dmi_api.schemas.exercises import Category, ExerciseCode
from dmi_api.schemas.instruments import Instrument
from dmi_api.schemas.milestones import MilestoneCode
from dmi_api.schemas.practitioners import Discipline
from dmi_api.schemas.prescriptions import Setting
from dmi_api.schemas.prescriptions import Status as PrescriptionStatus
from dmi_api.schemas.session_records import SessionType


def _utc(moment: datetime) -> datetime:
    # The instant in UTC whatever offset the client wrote: cursors are bound to it.
    return moment.astimezone(UTC)


CHILDREN = ListSpec(
    "child",
    (
        Filter("status", ChildStatus),
        Filter("external_id", ExternalId),
        Filter(
            "birth_date_from",
            IsoDate,
            "ge",
            "birth_date",
            description="born on or after this date (inclusive)",
        ),
        Filter(
            "birth_date_to",
            IsoDate,
            "lt",
            "birth_date",
            description="born before this date (exclusive)",
        ),
        Filter(
            "given_name",
            Name,
            "prefix",
            description="given name starts with this text (case-insensitive)",
        ),
        Filter(
            "family_name",
            Name,
            "prefix",
            description="family name starts with this text (case-insensitive)",
        ),
    ),
    ranges=(Range("birth_date_from", "birth_date_to"),),
)

SESSION_RECORDS = ListSpec(
    "session_record",
    (
        Filter("child_id", uuid.UUID),
        Filter("practitioner_id", uuid.UUID),
        Filter(
            "session_type", SessionType, column="type", alias="type", description="session type"
        ),
        Filter(
            "started_from",
            IsoAwareDateTime,
            "ge",
            "started_at",
            alias="from",
            description="sessions that started at or after this instant (inclusive)",
            normalize=_utc,
        ),
        Filter(
            "started_to",
            IsoAwareDateTime,
            "lt",
            "started_at",
            alias="to",
            description="sessions that started before this instant (exclusive)",
            normalize=_utc,
        ),
    ),
)

EXERCISES = ListSpec(
    "exercise",
    (Filter("category", Category), Filter("active", bool), Filter("code", ExerciseCode)),
)

PRACTITIONERS = ListSpec(
    "practitioner",
    (Filter("active", bool), Filter("discipline", Discipline), Filter("external_id", ExternalId)),
)

MILESTONES = ListSpec(
    "milestone", (Filter("child_id", uuid.UUID), Filter("milestone", MilestoneCode))
)

ASSESSMENTS = ListSpec(
    "assessment",
    (
        Filter("child_id", uuid.UUID),
        Filter("instrument", Instrument),
        Filter(
            "performed_from",
            IsoDate,
            "ge",
            "performed_on",
            alias="from",
            description="performed on or after this date (inclusive)",
        ),
        Filter(
            "performed_to",
            IsoDate,
            "lt",
            "performed_on",
            alias="to",
            description="performed before this date (exclusive)",
        ),
    ),
)

PRESCRIPTIONS = ListSpec(
    "prescription",
    (
        Filter("child_id", uuid.UUID),
        Filter("status", PrescriptionStatus),
        Filter("setting", Setting),
    ),
)
