"""The clinical records: practitioners, children, exercises, prescriptions, sessions, assessments,
milestones. Enumerations are validated by the API schemas; JSON columns hold nested value lists."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field

from dmi_api.models.base import TableModel
from dmi_api.models.clinical_row import ClinicalRow, name_prefix_index, sync_index
from dmi_api.models.columns import JSON_TYPE, id_field, timestamp_field
from dmi_api.models.tenant_keys import tenant_foreign_key, tenant_primary_key


class Practitioner(ClinicalRow, table=True):
    """A therapist of the clinic."""

    __tablename__ = "practitioner"
    __table_args__ = (
        tenant_primary_key(),
        Index(*sync_index("practitioner")),
        UniqueConstraint("clinic_id", "external_id"),
    )

    name: str = Field(max_length=200)
    discipline: str = Field(max_length=16)
    credentials: str | None = Field(default=None, max_length=200)
    external_id: str | None = Field(default=None, max_length=100)
    active: bool = True


class Child(ClinicalRow, table=True):
    """A child in the clinic's care."""

    __tablename__ = "child"
    __table_args__ = (
        tenant_primary_key(),
        Index(*sync_index("child")),
        UniqueConstraint("clinic_id", "external_id"),
        # The name searches (`queries.lists.CHILDREN`): a case-insensitive prefix in a clinic.
        *(name_prefix_index("child", name) for name in ("given_name", "family_name")),
    )

    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    preferred_name: str | None = Field(default=None, max_length=100)
    birth_date: date
    sex: str = Field(max_length=16)
    gestational_age_weeks: int | None = None
    gestational_age_days: int | None = None
    diagnoses: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON_TYPE)
    status: str = Field(default="active", max_length=16)
    external_id: str | None = Field(default=None, max_length=100)
    caregivers: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON_TYPE)
    # DIRFloortime: the caregiver's daily target, {"sessions_per_day", "minutes_per_session"}.
    floortime_target: dict[str, int] | None = Field(default=None, sa_type=JSON_TYPE)


class Exercise(ClinicalRow, table=True):
    """An exercise of the clinic's own library."""

    __tablename__ = "exercise"
    __table_args__ = (
        tenant_primary_key(),
        Index(*sync_index("exercise")),
        UniqueConstraint("clinic_id", "code"),
    )

    code: str = Field(max_length=50)
    name: str = Field(max_length=200)
    category: str = Field(max_length=32)
    start_position: str | None = Field(default=None, max_length=200)
    surface: str = Field(max_length=16)
    default_support_point: str = Field(max_length=16)
    desired_response: str | None = Field(default=None, sa_type=Text)
    undesired_responses: list[str] = Field(default_factory=list, sa_type=JSON_TYPE)
    progression_level: int | None = None
    media_url: str | None = Field(default=None, max_length=2000)
    active: bool = True


class Prescription(ClinicalRow, table=True):
    """An exercise program prescribed to a child."""

    __tablename__ = "prescription"
    __table_args__ = (
        tenant_primary_key(),
        tenant_foreign_key("prescription", "child_id", "child"),
        tenant_foreign_key("prescription", "prescriber_id", "practitioner"),
        Index(*sync_index("prescription")),
        Index("ix_prescription_clinic_id_child_id", "clinic_id", "child_id"),
    )

    child_id: uuid.UUID
    prescriber_id: uuid.UUID
    setting: str = Field(max_length=16)
    status: str = Field(default="draft", max_length=16)
    period_start: date
    period_end: date | None = None
    goal: str | None = Field(default=None, sa_type=Text)
    # An intensive block's plan: {"days", "sessions_per_day", "minutes_per_session"}.
    block: dict[str, int] | None = Field(default=None, sa_type=JSON_TYPE)
    # [{"start": date, "end": date | null}], appended when paused, closed when resumed.
    pauses: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON_TYPE)
    # The day `completed` or `discontinued` took effect (no day from it on is counted); NULL
    # while the program runs.
    ended_on: date | None = None


class PrescriptionItem(TableModel, table=True):
    """One exercise of a prescription with its dose (the shape of FHIR Timing.repeat)."""

    __tablename__ = "prescription_item"
    __table_args__ = (
        tenant_primary_key(),
        tenant_foreign_key("prescription_item", "prescription_id", "prescription"),
        tenant_foreign_key("prescription_item", "exercise_id", "exercise"),
        Index("ix_prescription_item_clinic_id_prescription_id", "clinic_id", "prescription_id"),
    )

    id: uuid.UUID = id_field()
    clinic_id: uuid.UUID = Field(foreign_key="clinic.id", primary_key=True)
    prescription_id: uuid.UUID
    exercise_id: uuid.UUID
    position: int
    repetitions: int | None = None
    sets: int | None = None
    hold_seconds: int | None = None
    support_point: str | None = Field(default=None, max_length=16)
    side: str = Field(default="n/a", max_length=16)
    times_per_day: int | None = None
    days_per_week: int | None = None
    instructions: str | None = Field(default=None, sa_type=Text)
    removed_at: datetime | None = timestamp_field(nullable=True)


class SessionRecord(ClinicalRow, table=True):
    """A therapy session (or a caregiver's home practice) as it happened."""

    __tablename__ = "session_record"
    __table_args__ = (
        tenant_primary_key(),
        tenant_foreign_key("session_record", "child_id", "child"),
        tenant_foreign_key("session_record", "practitioner_id", "practitioner"),
        tenant_foreign_key("session_record", "signed_by", "practitioner"),
        Index(*sync_index("session_record")),
        Index(
            "ix_session_record_clinic_id_child_id_started_at", "clinic_id", "child_id", "started_at"
        ),
        Index("ix_session_record_clinic_id_started_at", "clinic_id", "started_at", "id"),
    )

    child_id: uuid.UUID
    practitioner_id: uuid.UUID | None = None
    type: str = Field(max_length=32)
    setting: str = Field(max_length=16)
    started_at: datetime = timestamp_field()
    # The UTC offset the client wrote `started_at` with (timestamptz keeps only the instant): the
    # record's local date, which adherence counts it on. NULL for rows from before it was kept.
    started_at_utc_offset_minutes: int | None = None
    duration_minutes: int
    attendance: str = Field(default="attended", max_length=16)
    caregiver_present: bool = False
    # [{"exercise_id", "prescription_item_id", "repetitions", "sets", "support_point", "response",
    #   "note"}]: written with the session in one statement, read with it.
    exercises: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON_TYPE)
    notes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON_TYPE)
    signed_at: datetime | None = timestamp_field(nullable=True)
    signed_by: uuid.UUID | None = None
    # `services.session_record_views.DOCUMENTS_FORM` when the exercises and notes were written
    # with exactly the API's fields (a bulk export then writes them as stored, unread); NULL
    # when not, or written before it was kept.
    documents_form: int | None = None


class SessionAmendment(TableModel, table=True):
    """An addendum to a signed session record; the signed original never changes."""

    __tablename__ = "session_amendment"
    __table_args__ = (
        tenant_primary_key(),
        tenant_foreign_key("session_amendment", "session_record_id", "session_record"),
        tenant_foreign_key("session_amendment", "author_id", "practitioner"),
        Index("ix_session_amendment_clinic_id_session_record_id", "clinic_id", "session_record_id"),
    )

    id: uuid.UUID = id_field()
    clinic_id: uuid.UUID = Field(foreign_key="clinic.id", primary_key=True)
    session_record_id: uuid.UUID
    author_id: uuid.UUID | None = None
    reason: str = Field(max_length=500)
    text: str = Field(sa_type=Text)
    created_at: datetime = timestamp_field()
    client_id: uuid.UUID


class Assessment(ClinicalRow, table=True):
    """A standardized instrument (or DMI evaluation) administered to a child."""

    __tablename__ = "assessment"
    __table_args__ = (
        tenant_primary_key(),
        tenant_foreign_key("assessment", "child_id", "child"),
        tenant_foreign_key("assessment", "assessor_id", "practitioner"),
        Index(*sync_index("assessment")),
        Index(
            "ix_assessment_clinic_id_child_id_performed_on", "clinic_id", "child_id", "performed_on"
        ),
    )

    child_id: uuid.UUID
    assessor_id: uuid.UUID | None = None
    instrument: str = Field(max_length=32)
    performed_on: date
    status: str = Field(default="draft", max_length=16)
    items: dict[str, Any] = Field(default_factory=dict, sa_type=JSON_TYPE)
    goal_dimensions: list[str] = Field(default_factory=list, sa_type=JSON_TYPE)
    # Values entered from licensed tables or other software (GMAE-2 score, PDMS quotients, GMFCS).
    entered: dict[str, Any] = Field(default_factory=dict, sa_type=JSON_TYPE)
    # Computed by the server (issue: clinical intelligence); stored with the rule version.
    scores: dict[str, Any] | None = Field(default=None, sa_type=JSON_TYPE)
    # What the clinician should look at again (`clinical/record_warnings.py`), kept current
    # with the scores.
    warnings: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON_TYPE)
    notes: str | None = Field(default=None, sa_type=Text)


class Milestone(ClinicalRow, table=True):
    """An observation of a child's gross-motor milestone."""

    __tablename__ = "milestone"
    __table_args__ = (
        tenant_primary_key(),
        tenant_foreign_key("milestone", "child_id", "child"),
        Index(*sync_index("milestone")),
        Index("ix_milestone_clinic_id_child_id", "clinic_id", "child_id"),
    )

    child_id: uuid.UUID
    milestone: str = Field(max_length=40)
    achieved_on: date | None = None
    observed_on: date | None = None
    support_needed: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, sa_type=Text)
    # What the clinician should look at again (`clinical/record_warnings.py`).
    warnings: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON_TYPE)
