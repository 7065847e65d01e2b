# Generated from openapi/openapi.json by clients/python/scripts/generate_models.py: do not edit.

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import TypeAliasType


class AIMSWindow(BaseModel):
    """
    The least and the most mature item observed in a position (item numbers).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    from_item: Annotated[int, Field(ge=1, title="From Item")]
    to_item: Annotated[int, Field(ge=1, title="To Item")]


class AdherencePercent(BaseModel):
    """
    Delivered / prescribed * 100, not capped; null without a schedule.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    occasions: Annotated[float | None, Field(title="Occasions")]
    repetitions: Annotated[float | None, Field(title="Repetitions")]


class AdherenceWindow(BaseModel):
    """
    The days counted: `from` inclusive, `to` exclusive, like every range of this API.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    from_: Annotated[
        date, Field(alias="from", description="First day counted (inclusive).", title="From")
    ]
    to: Annotated[
        date, Field(description="The day after the last day counted (exclusive).", title="To")
    ]


class AgePublic(BaseModel):
    """
    Chronological age and, for a child born preterm, corrected age.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    as_of: Annotated[date, Field(description="The date the ages are for.", title="As Of")]
    chronological_days: Annotated[int, Field(title="Chronological Days")]
    corrected_days: Annotated[
        int | None,
        Field(
            description="Chronological age minus the weeks born early (40 - gestational age), when the clinic's rule applies (default: born before 37 weeks and younger than 24 months); negative before the due date; null when the rule does not apply.",
            title="Corrected Days",
        ),
    ]
    rule: Annotated[
        str, Field(description="Version of the rule, e.g. `corrected-age@2`.", title="Rule")
    ]


class AimsNormRow(BaseModel):
    """
    Minimum AIMS total reaching each percentile at one age (whole months, corrected).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    age_months: Annotated[int, Field(ge=0, le=24, title="Age Months")]
    percentiles: Annotated[
        dict[Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]?$")], int],
        Field(title="Percentiles"),
    ]


class AimsNormTable(BaseModel):
    """
    A norm table the clinic is licensed to use; ages increasing, scores rising with rank.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    name: Annotated[str, Field(max_length=100, min_length=1, title="Name")]
    rows: Annotated[list[AimsNormRow], Field(max_length=25, min_length=1, title="Rows")]


class AmendmentCreate(BaseModel):
    """
    An addendum to a signed record (the original stays as signed).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    reason: Annotated[
        str, Field(description="1 to 500 characters.", max_length=500, min_length=1, title="Reason")
    ]
    text: Annotated[
        str,
        Field(description="1 to 10000 characters.", max_length=10000, min_length=1, title="Text"),
    ]
    author_id: Annotated[
        UUID | None, Field(description="A practitioner of the clinic.", title="Author Id")
    ] = None


class AmendmentPublic(BaseModel):
    """
    An addendum to a signed record.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    author_id: Annotated[UUID | None, Field(title="Author Id")]
    reason: Annotated[str, Field(title="Reason")]
    text: Annotated[str, Field(title="Text")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]


Notes = TypeAliasType("Notes", Annotated[str, Field(max_length=10000, title="Notes")])


class AssessmentCreate(BaseModel):
    """
    A new assessment; items and entered values are checked against the instrument.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    child_id: Annotated[UUID, Field(title="Child Id")]
    assessor_id: Annotated[
        UUID | None, Field(description="A practitioner, optional.", title="Assessor Id")
    ] = None
    instrument: Annotated[
        Literal[
            "gmfm88",
            "gmfm66",
            "aims",
            "hine",
            "pdms2",
            "pdms3",
            "gmfcs",
            "dmi_evaluation",
            "feas",
            "fedc",
            "custom",
        ],
        Field(title="Instrument"),
    ]
    performed_on: Annotated[
        date,
        Field(description="Not before the child's birth, not in the future.", title="Performed On"),
    ]
    status: Annotated[
        Literal["draft", "final"] | None,
        Field(
            description="draft → final; a final assessment never returns to draft (422 at `#/status`).",
            title="Status",
        ),
    ] = "draft"
    items: Annotated[
        dict[str, Any] | None,
        Field(
            description="Item id → score, at most 300. gmfm88/gmfm66: ids '1'..'88', scores 0-3 or 'NT'; aims: 'prone-1'..'prone-21', 'supine-1'..'supine-9', 'sitting-1'..'sitting-12', 'standing-1'..'standing-16', scores 0/1; hine: '1'..'26', 0-3; pdms2: '<subtest>-<n>' (reflexes 8, stationary 30, locomotion 89, object_manipulation 24, grasping 26, visual_motor_integration 72), 0/1/2; pdms3: '<subtest>-<n>' (body_control, body_transport, object_control, hand_manipulation, eye_hand_coordination, physical_fitness; n 1-60), 0/1/2; gmfcs: none; feas: '1'..'60', 0/1/2; dmi_evaluation and custom: ids of 1-64 characters [A-Za-z0-9._-], a number 0-100 or text of 1-50 characters. A bad id or score is 422 at `#/items/<id>`. Item wording is never stored.",
            max_length=300,
            title="Items",
        ),
    ] = None
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"]] | None,
        Field(
            description="GMFM goal dimensions (A-E, each once); gmfm88 and gmfm66 only.",
            max_length=5,
            title="Goal Dimensions",
        ),
    ] = None
    entered: Annotated[
        dict[str, Any] | None,
        Field(
            description="Values entered by the clinician from licensed tables or other software. gmfm66: gmae_score 0-100, standard_error ≥ 0, ci95_low ≤ gmae_score ≤ ci95_high; pdms2/pdms3: standard_scores {subtest: 1-20}, gmq/fmq/tmq 35-165; gmfcs: level 1-5 or 'I'..'V' (stored 1-5; required when final); aims: percentile 0-100; dmi_evaluation/custom: like items; gmfm88, hine, feas: none.",
            max_length=50,
            title="Entered",
        ),
    ] = None
    notes: Annotated[Notes | None, Field(title="Notes")] = None


class AssessmentCreateInChild(BaseModel):
    """
    A new assessment; items and entered values are checked against the instrument. The child is the one in the path.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    child_id: Annotated[
        UUID | None,
        Field(
            description="Optional: the child is the one in the path. Another child's id is 422 (`child_id_mismatch`).",
            title="Child Id",
        ),
    ] = None
    assessor_id: Annotated[
        UUID | None, Field(description="A practitioner, optional.", title="Assessor Id")
    ] = None
    instrument: Annotated[
        Literal[
            "gmfm88",
            "gmfm66",
            "aims",
            "hine",
            "pdms2",
            "pdms3",
            "gmfcs",
            "dmi_evaluation",
            "feas",
            "fedc",
            "custom",
        ],
        Field(title="Instrument"),
    ]
    performed_on: Annotated[
        date,
        Field(description="Not before the child's birth, not in the future.", title="Performed On"),
    ]
    status: Annotated[
        Literal["draft", "final"] | None,
        Field(
            description="draft → final; a final assessment never returns to draft (422 at `#/status`).",
            title="Status",
        ),
    ] = "draft"
    items: Annotated[
        dict[str, Any] | None,
        Field(
            description="Item id → score, at most 300. gmfm88/gmfm66: ids '1'..'88', scores 0-3 or 'NT'; aims: 'prone-1'..'prone-21', 'supine-1'..'supine-9', 'sitting-1'..'sitting-12', 'standing-1'..'standing-16', scores 0/1; hine: '1'..'26', 0-3; pdms2: '<subtest>-<n>' (reflexes 8, stationary 30, locomotion 89, object_manipulation 24, grasping 26, visual_motor_integration 72), 0/1/2; pdms3: '<subtest>-<n>' (body_control, body_transport, object_control, hand_manipulation, eye_hand_coordination, physical_fitness; n 1-60), 0/1/2; gmfcs: none; feas: '1'..'60', 0/1/2; dmi_evaluation and custom: ids of 1-64 characters [A-Za-z0-9._-], a number 0-100 or text of 1-50 characters. A bad id or score is 422 at `#/items/<id>`. Item wording is never stored.",
            max_length=300,
            title="Items",
        ),
    ] = None
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"]] | None,
        Field(
            description="GMFM goal dimensions (A-E, each once); gmfm88 and gmfm66 only.",
            max_length=5,
            title="Goal Dimensions",
        ),
    ] = None
    entered: Annotated[
        dict[str, Any] | None,
        Field(
            description="Values entered by the clinician from licensed tables or other software. gmfm66: gmae_score 0-100, standard_error ≥ 0, ci95_low ≤ gmae_score ≤ ci95_high; pdms2/pdms3: standard_scores {subtest: 1-20}, gmq/fmq/tmq 35-165; gmfcs: level 1-5 or 'I'..'V' (stored 1-5; required when final); aims: percentile 0-100; dmi_evaluation/custom: like items; gmfm88, hine, feas: none.",
            max_length=50,
            title="Entered",
        ),
    ] = None
    notes: Annotated[Notes | None, Field(title="Notes")] = None


class AssessmentPatch(BaseModel):
    """
    Changes to an assessment; `items`, `entered` and `goal_dimensions` replace the old ones.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    assessor_id: Annotated[UUID | None, Field(title="Assessor Id")] = None
    performed_on: Annotated[
        date | None,
        Field(description="Not before the child's birth, not in the future.", title="Performed On"),
    ] = None
    status: Annotated[
        Literal["draft", "final"] | None,
        Field(
            description="draft → final; a final assessment never returns to draft (422 at `#/status`).",
            title="Status",
        ),
    ] = None
    items: Annotated[
        dict[str, Any] | None,
        Field(
            description="Item id → score, at most 300. gmfm88/gmfm66: ids '1'..'88', scores 0-3 or 'NT'; aims: 'prone-1'..'prone-21', 'supine-1'..'supine-9', 'sitting-1'..'sitting-12', 'standing-1'..'standing-16', scores 0/1; hine: '1'..'26', 0-3; pdms2: '<subtest>-<n>' (reflexes 8, stationary 30, locomotion 89, object_manipulation 24, grasping 26, visual_motor_integration 72), 0/1/2; pdms3: '<subtest>-<n>' (body_control, body_transport, object_control, hand_manipulation, eye_hand_coordination, physical_fitness; n 1-60), 0/1/2; gmfcs: none; feas: '1'..'60', 0/1/2; dmi_evaluation and custom: ids of 1-64 characters [A-Za-z0-9._-], a number 0-100 or text of 1-50 characters. A bad id or score is 422 at `#/items/<id>`. Item wording is never stored.",
            max_length=300,
            title="Items",
        ),
    ] = None
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"]] | None,
        Field(
            description="GMFM goal dimensions (A-E, each once); gmfm88 and gmfm66 only.",
            max_length=5,
            title="Goal Dimensions",
        ),
    ] = None
    entered: Annotated[
        dict[str, Any] | None,
        Field(
            description="Values entered by the clinician from licensed tables or other software. gmfm66: gmae_score 0-100, standard_error ≥ 0, ci95_low ≤ gmae_score ≤ ci95_high; pdms2/pdms3: standard_scores {subtest: 1-20}, gmq/fmq/tmq 35-165; gmfcs: level 1-5 or 'I'..'V' (stored 1-5; required when final); aims: percentile 0-100; dmi_evaluation/custom: like items; gmfm88, hine, feas: none.",
            max_length=50,
            title="Entered",
        ),
    ] = None
    notes: Annotated[Notes | None, Field(title="Notes")] = None


class AuditEventPublic(BaseModel):
    """
    One audited access: who, what, when, from where, and the outcome. Never payloads.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    occurred_at: Annotated[AwareDatetime, Field(title="Occurred At")]
    clinic_id: Annotated[UUID | None, Field(title="Clinic Id")]
    client_id: Annotated[str | None, Field(title="Client Id")]
    token_jti: Annotated[str | None, Field(title="Token Jti")]
    action: Annotated[str, Field(title="Action")]
    resource_type: Annotated[str, Field(title="Resource Type")]
    resource_id: Annotated[str | None, Field(title="Resource Id")]
    child_id: Annotated[UUID | None, Field(title="Child Id")]
    outcome: Annotated[int, Field(title="Outcome")]
    reference_field: Annotated[
        str | None,
        Field(
            description="a write refused for a reference in its body (422 `reference_not_found`): the field, as a JSON pointer into the request body",
            title="Reference Field",
        ),
    ]
    reference_id: Annotated[
        str | None,
        Field(
            description="the id that field named: another clinic's row, a deleted row or none",
            title="Reference Id",
        ),
    ]
    request_id: Annotated[str | None, Field(title="Request Id")]
    source_ip: Annotated[str | None, Field(title="Source Ip")]


class BatchItem(BaseModel):
    """
    One record of the batch with its own `Idempotency-Key`.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    idempotency_key: Annotated[
        str,
        Field(
            description="as the `Idempotency-Key` of a single POST (the same key and body replay the first answer, here or there)",
            max_length=255,
            min_length=1,
            title="Idempotency Key",
        ),
    ]
    record: Annotated[
        dict[str, Any],
        Field(
            description="a session record exactly as `POST /v1/session-records` takes it (`SessionRecordCreate`), validated on its own: a bad item is refused alone",
            title="Record",
        ),
    ]


class BlockAdherence(BaseModel):
    """
    Delivered as a percentage of planned (half up, 2 decimals; above 100 when exceeded).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    days_percent: Annotated[float, Field(title="Days Percent")]
    sessions_percent: Annotated[float, Field(title="Sessions Percent")]
    minutes_percent: Annotated[float, Field(title="Minutes Percent")]


class BlockDelivered(BaseModel):
    """
    What the block's attended sessions delivered.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    days: Annotated[int, Field(title="Days")]
    sessions: Annotated[int, Field(title="Sessions")]
    minutes: Annotated[int, Field(title="Minutes")]
    repetitions: Annotated[int, Field(title="Repetitions")]


class BlockDose(BaseModel):
    """
    Days, sessions and minutes of an intensive block.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    days: Annotated[int, Field(title="Days")]
    sessions: Annotated[int, Field(title="Sessions")]
    minutes: Annotated[int, Field(title="Minutes")]


class BlockPlan(BaseModel):
    """
    An intensive block's plan: treatment days, sessions a day and minutes a session.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    days: Annotated[int, Field(description="planned treatment days", ge=1, le=120, title="Days")]
    sessions_per_day: Annotated[int, Field(ge=1, le=6, title="Sessions Per Day")]
    minutes_per_session: Annotated[int, Field(ge=5, le=480, title="Minutes Per Session")]


Phone = TypeAliasType(
    "Phone",
    Annotated[
        str,
        Field(
            description="E.164: `+`, country code and number, digits only (`+15551234567`)",
            pattern="^\\+[1-9][0-9]{6,14}$",
            title="Phone",
        ),
    ],
)


Email = TypeAliasType(
    "Email",
    Annotated[
        str,
        Field(
            max_length=254,
            pattern="^[^@\\s\\x1c-\\x1f\\x85\\ufeff]+@[^@\\s\\x1c-\\x1f\\x85\\ufeff]+\\.[^@\\s\\x1c-\\x1f\\x85\\ufeff]+$",
            title="Email",
        ),
    ],
)


class Caregiver(BaseModel):
    """
    A parent or other caregiver (FHIR RelatedPerson on export).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    name: Annotated[str, Field(max_length=100, min_length=1, title="Name")]
    relationship: Annotated[
        Literal["mother", "father", "parent", "guardian", "grandparent", "sibling", "other"],
        Field(title="Relationship"),
    ]
    phone: Annotated[Phone | None, Field(title="Phone")] = None
    email: Annotated[Email | None, Field(title="Email")] = None
    primary: Annotated[
        bool | None, Field(description="the main contact; at most one per child", title="Primary")
    ] = False
    consent_to_contact: Annotated[bool | None, Field(title="Consent To Contact")] = False


class CaregiverPublic(BaseModel):
    """
    A caregiver as stored.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    name: Annotated[str, Field(title="Name")]
    relationship: Annotated[
        Literal["mother", "father", "parent", "guardian", "grandparent", "sibling", "other"] | str,
        Field(title="Relationship"),
    ]
    phone: Annotated[str | None, Field(title="Phone")] = None
    email: Annotated[str | None, Field(title="Email")] = None
    primary: Annotated[bool | None, Field(title="Primary")] = False
    consent_to_contact: Annotated[bool | None, Field(title="Consent To Contact")] = False


class CategoryProgression(BaseModel):
    """
    The support points of one category of exercises (e.g. sitting, standing).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    category: Annotated[str, Field(title="Category")]
    exercises: Annotated[int, Field(title="Exercises")]
    most_proximal_support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles"] | str | None,
        Field(title="Most Proximal Support Point"),
    ]
    most_distal_support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles"] | str | None,
        Field(title="Most Distal Support Point"),
    ]
    ready_to_progress: Annotated[
        int, Field(description="how many of its exercises are ready", title="Ready To Progress")
    ]


PreferredName = TypeAliasType(
    "PreferredName", Annotated[str, Field(max_length=100, min_length=1, title="Preferred Name")]
)


GestationalAgeWeeks = TypeAliasType(
    "GestationalAgeWeeks",
    Annotated[
        int,
        Field(
            description="completed weeks of gestation at birth (22-44)",
            ge=22,
            le=44,
            title="Gestational Age Weeks",
        ),
    ],
)


GestationalAgeDays = TypeAliasType(
    "GestationalAgeDays",
    Annotated[
        int,
        Field(
            description="days beyond the completed weeks (0-6); only with weeks",
            ge=0,
            le=6,
            title="Gestational Age Days",
        ),
    ],
)


ExternalId = TypeAliasType(
    "ExternalId",
    Annotated[
        str,
        Field(
            description="the EHR's MRN; unique in the clinic, tombstones included",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9._:\\-]+$",
            title="External Id",
        ),
    ],
)


ExternalId1 = TypeAliasType(
    "ExternalId1",
    Annotated[
        str,
        Field(max_length=100, min_length=1, pattern="^[A-Za-z0-9._:\\-]+$", title="External Id"),
    ],
)


ExternalId2 = TypeAliasType(
    "ExternalId2",
    Annotated[
        str,
        Field(
            description="optional; when sent it must equal the one in the path",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9._:\\-]+$",
            title="External Id",
        ),
    ],
)


ExternalId3 = TypeAliasType(
    "ExternalId3",
    Annotated[
        str,
        Field(max_length=100, min_length=1, pattern="^[A-Za-z0-9._:\\-]+$", title="External Id"),
    ],
)


GivenName = TypeAliasType(
    "GivenName",
    Annotated[
        str,
        Field(
            description="given name starts with this text (case-insensitive)",
            max_length=100,
            min_length=1,
            title="Given Name",
        ),
    ],
)


FamilyName = TypeAliasType(
    "FamilyName",
    Annotated[
        str,
        Field(
            description="family name starts with this text (case-insensitive)",
            max_length=100,
            min_length=1,
            title="Family Name",
        ),
    ],
)


Cursor = TypeAliasType(
    "Cursor",
    Annotated[
        str,
        Field(
            description="opaque `next_cursor` of the previous page of the same query (base64url, issued and encrypted by the server); any other value, even one of this form, is refused with 422 at `#/cursor` (code `cursor_invalid`)",
            max_length=200,
            min_length=40,
            pattern="^[A-Za-z0-9_-]+$",
            title="Cursor",
        ),
    ],
)


class ChildSearch(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    status: Annotated[Literal["active", "on_hold", "discharged"] | None, Field(title="Status")] = (
        None
    )
    external_id: Annotated[ExternalId3 | None, Field(title="External Id")] = None
    birth_date_from: Annotated[
        date | None,
        Field(description="born on or after this date (inclusive)", title="Birth Date From"),
    ] = None
    birth_date_to: Annotated[
        date | None, Field(description="born before this date (exclusive)", title="Birth Date To")
    ] = None
    given_name: Annotated[
        GivenName | None,
        Field(
            description="given name starts with this text (case-insensitive)", title="Given Name"
        ),
    ] = None
    family_name: Annotated[
        FamilyName | None,
        Field(
            description="family name starts with this text (case-insensitive)", title="Family Name"
        ),
    ] = None
    limit: Annotated[int | None, Field(description="page size", ge=1, le=200, title="Limit")] = 50
    cursor: Annotated[
        Cursor | None,
        Field(
            description="opaque `next_cursor` of the previous page of the same query (base64url, issued and encrypted by the server); any other value, even one of this form, is refused with 422 at `#/cursor` (code `cursor_invalid`)",
            title="Cursor",
        ),
    ] = None
    sort: Annotated[
        Literal["updated_at", "-updated_at", "created_at", "-created_at"] | None,
        Field(description="order; `-` for descending", title="Sort"),
    ] = "updated_at"
    updated_since: Annotated[
        AwareDatetime | None,
        Field(
            description="only rows changed at or after this instant, tombstones included (give its offset: one without is read as UTC)",
            title="Updated Since",
        ),
    ] = None


class Key(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    kty: Literal["RSA", "EC"]


class Jwks(BaseModel):
    """
    public JWKS (private_key_jwt): 1-10 RSA or EC public signing keys
    """

    model_config = ConfigDict(
        extra="allow",
    )
    keys: Annotated[list[Key], Field(max_length=10, min_length=1)]


RateLimitPerMinute = TypeAliasType(
    "RateLimitPerMinute",
    Annotated[
        int,
        Field(
            description="The client's own quota, in cost units a minute (a read costs 1, a write 5, a batch upload 50, an export kick-off 100); null: the service default. Applies to tokens issued after the change.",
            ge=1,
            le=100000000,
            title="Rate Limit Per Minute",
        ),
    ],
)


class ClientCreate(BaseModel):
    """
    A new client of the caller's clinic.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    name: Annotated[str, Field(max_length=200, min_length=1, title="Name")]
    scopes: Annotated[
        list[
            Literal[
                "children:read",
                "children:write",
                "practitioners:read",
                "practitioners:write",
                "exercises:read",
                "exercises:write",
                "prescriptions:read",
                "prescriptions:write",
                "sessions:read",
                "sessions:write",
                "assessments:read",
                "assessments:write",
                "milestones:read",
                "milestones:write",
                "audit:read",
                "clients:admin",
                "events:read",
                "export:read",
                "settings:read",
                "settings:write",
                "webhooks:admin",
            ]
        ],
        Field(max_length=50, min_length=1, title="Scopes"),
    ]
    auth_method: Annotated[
        Literal["client_secret", "private_key_jwt"] | None, Field(title="Auth Method")
    ] = "client_secret"
    jwks: Annotated[Jwks | None, Field(title="Jwks")] = None
    rate_limit_per_minute: Annotated[
        RateLimitPerMinute | None,
        Field(
            description="The client's own quota, in cost units a minute (a read costs 1, a write 5, a batch upload 50, an export kick-off 100); null: the service default. Applies to tokens issued after the change.",
            title="Rate Limit Per Minute",
        ),
    ] = None


class ClientCreated(BaseModel):
    """
    The creation response: the only time the secret is shown.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    client_id: Annotated[UUID, Field(title="Client Id")]
    clinic_id: Annotated[UUID, Field(title="Clinic Id")]
    name: Annotated[str, Field(title="Name")]
    scopes: Annotated[list[str], Field(title="Scopes")]
    auth_method: Annotated[
        Literal["client_secret", "private_key_jwt"] | str, Field(title="Auth Method")
    ]
    active: Annotated[bool, Field(title="Active")]
    jwks: Annotated[dict[str, Any] | None, Field(title="Jwks")]
    rate_limit_per_minute: Annotated[
        int | None,
        Field(
            description="The client's own quota, in cost units a minute (a read costs 1, a write 5, a batch upload 50, an export kick-off 100); null: the service default. Applies to tokens issued after the change.",
            title="Rate Limit Per Minute",
        ),
    ]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    disabled_at: Annotated[AwareDatetime | None, Field(title="Disabled At")]
    client_secret: Annotated[str | None, Field(title="Client Secret")]


class ClientPublic(BaseModel):
    """
    A client as its clinic's administrators see it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    client_id: Annotated[UUID, Field(title="Client Id")]
    clinic_id: Annotated[UUID, Field(title="Clinic Id")]
    name: Annotated[str, Field(title="Name")]
    scopes: Annotated[list[str], Field(title="Scopes")]
    auth_method: Annotated[
        Literal["client_secret", "private_key_jwt"] | str, Field(title="Auth Method")
    ]
    active: Annotated[bool, Field(title="Active")]
    jwks: Annotated[dict[str, Any] | None, Field(title="Jwks")]
    rate_limit_per_minute: Annotated[
        int | None,
        Field(
            description="The client's own quota, in cost units a minute (a read costs 1, a write 5, a batch upload 50, an export kick-off 100); null: the service default. Applies to tokens issued after the change.",
            title="Rate Limit Per Minute",
        ),
    ]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    disabled_at: Annotated[AwareDatetime | None, Field(title="Disabled At")]


class ClientSecret(BaseModel):
    """
    A newly rotated secret (shown once).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    client_id: Annotated[UUID, Field(title="Client Id")]
    client_secret: Annotated[str, Field(title="Client Secret")]


class Jwks1(BaseModel):
    """
    public JWKS (private_key_jwt): 1-10 RSA or EC public signing keys
    """

    model_config = ConfigDict(
        extra="allow",
    )
    keys: Annotated[list[Key], Field(max_length=10, min_length=1)]


class ClientUpdate(BaseModel):
    """
    Changes to a client; omitted fields stay as they are (`null` only for the quota).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    name: Annotated[str | None, Field(max_length=200, min_length=1, title="Name")] = None
    scopes: Annotated[
        list[
            Literal[
                "children:read",
                "children:write",
                "practitioners:read",
                "practitioners:write",
                "exercises:read",
                "exercises:write",
                "prescriptions:read",
                "prescriptions:write",
                "sessions:read",
                "sessions:write",
                "assessments:read",
                "assessments:write",
                "milestones:read",
                "milestones:write",
                "audit:read",
                "clients:admin",
                "events:read",
                "export:read",
                "settings:read",
                "settings:write",
                "webhooks:admin",
            ]
        ]
        | None,
        Field(max_length=50, min_length=1, title="Scopes"),
    ] = None
    active: Annotated[bool | None, Field(title="Active")] = None
    jwks: Annotated[
        Jwks1 | None,
        Field(
            description="public JWKS (private_key_jwt): 1-10 RSA or EC public signing keys",
            title="Jwks",
        ),
    ] = None
    rate_limit_per_minute: Annotated[
        RateLimitPerMinute | None,
        Field(
            description="The client's own quota, in cost units a minute (a read costs 1, a write 5, a batch upload 50, an export kick-off 100); null: the service default. Applies to tokens issued after the change.",
            title="Rate Limit Per Minute",
        ),
    ] = None


class ClinicDueItem(BaseModel):
    """
    An instrument of a child falling due.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    instrument: Annotated[
        Literal["gmfm88", "aims", "hine", "gmfcs", "dmi_evaluation"] | str,
        Field(title="Instrument"),
    ]
    due_on: Annotated[date | None, Field(title="Due On")]
    status: Annotated[
        Literal["overdue", "due", "scheduled", "not_applicable"] | str,
        Field(
            description="`overdue` (before today), `due` (today to 14 days ahead), `scheduled` (later), `not_applicable` (no date: e.g. AIMS after independent walking)",
            title="Status",
        ),
    ]
    last_performed_on: Annotated[
        date | None, Field(description="the last final assessment of it", title="Last Performed On")
    ]
    basis: Annotated[
        str, Field(description="why this date, e.g. `6 months after the last`", title="Basis")
    ]
    rule: Annotated[str, Field(description="`due-dates@2`: docs/clinical-rules.md", title="Rule")]
    child_id: Annotated[UUID, Field(title="Child Id")]


class CoachingMonth(BaseModel):
    """
    Parent-coaching sessions attended in a calendar month.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    month: Annotated[str, Field(pattern="^\\d{4}-\\d{2}$", title="Month")]
    sessions: Annotated[int, Field(title="Sessions")]


Text = TypeAliasType("Text", Annotated[str, Field(max_length=200, min_length=1, title="Text")])


class Diagnosis(BaseModel):
    """
    A diagnosis as an ICD-10 code.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    code: Annotated[
        str,
        Field(
            description="ICD-10 code in upper case, e.g. `Q90.9` (Down syndrome)",
            pattern="^[A-TV-Z][0-9][0-9AB](\\.[0-9A-TV-Z]{1,4})?$",
            title="Code",
        ),
    ]
    text: Annotated[Text | None, Field(title="Text")] = None


class DiagnosisPublic(BaseModel):
    """
    A diagnosis as stored.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    code: Annotated[str, Field(title="Code")]
    text: Annotated[str | None, Field(title="Text")] = None


class Dose(BaseModel):
    """
    A dose as occasions (an exercise done once, in any number of sets) and repetitions.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    occasions: Annotated[float, Field(title="Occasions")]
    repetitions: Annotated[float, Field(title="Repetitions")]


class DueItem(BaseModel):
    """
    One instrument's next assessment (rule `due-dates@2`).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    instrument: Annotated[
        Literal["gmfm88", "aims", "hine", "gmfcs", "dmi_evaluation"] | str,
        Field(title="Instrument"),
    ]
    due_on: Annotated[date | None, Field(title="Due On")]
    status: Annotated[
        Literal["overdue", "due", "scheduled", "not_applicable"] | str,
        Field(
            description="`overdue` (before today), `due` (today to 14 days ahead), `scheduled` (later), `not_applicable` (no date: e.g. AIMS after independent walking)",
            title="Status",
        ),
    ]
    last_performed_on: Annotated[
        date | None, Field(description="the last final assessment of it", title="Last Performed On")
    ]
    basis: Annotated[
        str, Field(description="why this date, e.g. `6 months after the last`", title="Basis")
    ]
    rule: Annotated[str, Field(description="`due-dates@2`: docs/clinical-rules.md", title="Rule")]


NextCursor = TypeAliasType(
    "NextCursor",
    Annotated[
        str, Field(max_length=200, min_length=40, pattern="^[A-Za-z0-9_-]+$", title="Next Cursor")
    ],
)


class DuePage(BaseModel):
    """
    A page of the clinic's worklist, by due date.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    as_of: Annotated[date, Field(description="today in the clinic's time zone", title="As Of")]
    data: Annotated[list[ClinicDueItem], Field(title="Data")]
    next_cursor: Annotated[NextCursor | None, Field(title="Next Cursor")]


HineAtMonth = TypeAliasType("HineAtMonth", Annotated[int, Field(ge=1, le=24)])


GmfcsAtBirthday = TypeAliasType("GmfcsAtBirthday", Annotated[int, Field(ge=1, le=18)])


class DueScheduleSettings(BaseModel):
    """
    When each instrument falls due (`GET /v1/children/{id}/due`, rule `due-dates@2`).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    gmfm88_every_months: Annotated[int | None, Field(ge=1, le=24, title="Gmfm88 Every Months")] = 6
    gmfm88_intensive_every_months: Annotated[
        int | None,
        Field(
            description="while an intensive block runs",
            ge=1,
            le=24,
            title="Gmfm88 Intensive Every Months",
        ),
    ] = 3
    aims_every_months: Annotated[
        int | None,
        Field(
            description="until 18 months corrected or independent walking",
            ge=1,
            le=6,
            title="Aims Every Months",
        ),
    ] = 1
    hine_at_months: Annotated[
        list[HineAtMonth] | None,
        Field(description="months corrected", max_length=8, min_length=1, title="Hine At Months"),
    ] = [3, 6, 9, 12]
    gmfcs_at_birthdays: Annotated[
        list[GmfcsAtBirthday] | None,
        Field(
            description="with a cerebral palsy diagnosis (G80) or a GMFCS rating",
            max_length=8,
            min_length=1,
            title="Gmfcs At Birthdays",
        ),
    ] = [2, 4, 6, 12]
    dmi_every_months: Annotated[
        int | None,
        Field(
            description="the DMI goal period: a re-evaluation at its end",
            ge=1,
            le=12,
            title="Dmi Every Months",
        ),
    ] = 2


class EventResource(BaseModel):
    """
    The changed resource: its type, id, new version and where to read it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    type: Annotated[str, Field(title="Type")]
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[
        int | None,
        Field(description="its new version; null for an API client (unversioned)", title="Version"),
    ]
    path: Annotated[
        str,
        Field(
            description="the resource's path in this API (read it with your token)", title="Path"
        ),
    ]


StartPosition = TypeAliasType(
    "StartPosition", Annotated[str, Field(max_length=200, min_length=1, title="Start Position")]
)


DesiredResponse = TypeAliasType(
    "DesiredResponse",
    Annotated[
        str,
        Field(
            description="The automatic response sought (≤ 2000 characters).",
            max_length=2000,
            title="Desired Response",
        ),
    ],
)


UndesiredResponse = TypeAliasType(
    "UndesiredResponse", Annotated[str, Field(max_length=500, min_length=1)]
)


ProgressionLevel = TypeAliasType(
    "ProgressionLevel",
    Annotated[
        int,
        Field(
            description="Progression level, 1 (easiest) to 10.",
            ge=1,
            le=10,
            title="Progression Level",
        ),
    ],
)


MediaUrl = TypeAliasType(
    "MediaUrl",
    Annotated[
        str,
        Field(
            description="A video or picture of the exercise: an https:// URL of at most 2000.",
            max_length=2000,
            pattern="^https://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?([/?#][!-~]*)?$",
            title="Media Url",
        ),
    ],
)


class ExerciseCreate(BaseModel):
    """
    A new exercise of the clinic's library.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    code: Annotated[
        str,
        Field(
            description="The clinic's unique code: 1 to 50 characters of A-Z a-z 0-9 . _ -",
            max_length=50,
            min_length=1,
            pattern="^[A-Za-z0-9._\\-]+$",
            title="Code",
        ),
    ]
    name: Annotated[str, Field(max_length=200, min_length=1, title="Name")]
    category: Annotated[
        Literal[
            "head_control",
            "rolling",
            "sitting",
            "four_point",
            "crawling",
            "kneeling",
            "standing",
            "walking",
            "transitions",
            "stairs",
            "other",
        ],
        Field(title="Category"),
    ]
    start_position: Annotated[StartPosition | None, Field(title="Start Position")] = None
    surface: Annotated[Literal["table", "floor", "equipment"], Field(title="Surface")]
    default_support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles", "hands", "other"],
        Field(title="Default Support Point"),
    ]
    desired_response: Annotated[DesiredResponse | None, Field(title="Desired Response")] = None
    undesired_responses: Annotated[
        list[UndesiredResponse] | None,
        Field(
            description="Typical undesired responses: at most 20, each ≤ 500.",
            max_length=20,
            title="Undesired Responses",
        ),
    ] = None
    progression_level: Annotated[ProgressionLevel | None, Field(title="Progression Level")] = None
    media_url: Annotated[MediaUrl | None, Field(title="Media Url")] = None
    active: Annotated[bool | None, Field(title="Active")] = True


class ExercisePatch(BaseModel):
    """
    Changes to an exercise: only the fields sent are changed.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    code: Annotated[
        str | None,
        Field(
            description="The clinic's unique code: 1 to 50 characters of A-Z a-z 0-9 . _ -",
            max_length=50,
            min_length=1,
            pattern="^[A-Za-z0-9._\\-]+$",
            title="Code",
        ),
    ] = None
    name: Annotated[str | None, Field(max_length=200, min_length=1, title="Name")] = None
    category: Annotated[
        Literal[
            "head_control",
            "rolling",
            "sitting",
            "four_point",
            "crawling",
            "kneeling",
            "standing",
            "walking",
            "transitions",
            "stairs",
            "other",
        ]
        | None,
        Field(title="Category"),
    ] = None
    start_position: Annotated[StartPosition | None, Field(title="Start Position")] = None
    surface: Annotated[Literal["table", "floor", "equipment"] | None, Field(title="Surface")] = None
    default_support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles", "hands", "other"] | None,
        Field(title="Default Support Point"),
    ] = None
    desired_response: Annotated[DesiredResponse | None, Field(title="Desired Response")] = None
    undesired_responses: Annotated[
        list[UndesiredResponse] | None,
        Field(
            description="Typical undesired responses: at most 20, each ≤ 500.",
            max_length=20,
            title="Undesired Responses",
        ),
    ] = None
    progression_level: Annotated[ProgressionLevel | None, Field(title="Progression Level")] = None
    media_url: Annotated[MediaUrl | None, Field(title="Media Url")] = None
    active: Annotated[bool | None, Field(title="Active")] = None


class ExercisePublic(BaseModel):
    """
    An exercise of the clinic's library.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    code: Annotated[str, Field(title="Code")]
    name: Annotated[str, Field(title="Name")]
    category: Annotated[
        Literal[
            "head_control",
            "rolling",
            "sitting",
            "four_point",
            "crawling",
            "kneeling",
            "standing",
            "walking",
            "transitions",
            "stairs",
            "other",
        ]
        | str,
        Field(title="Category"),
    ]
    start_position: Annotated[str | None, Field(title="Start Position")]
    surface: Annotated[Literal["table", "floor", "equipment"] | str, Field(title="Surface")]
    default_support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles", "hands", "other"] | str,
        Field(title="Default Support Point"),
    ]
    desired_response: Annotated[str | None, Field(title="Desired Response")]
    undesired_responses: Annotated[list[str], Field(title="Undesired Responses")]
    progression_level: Annotated[int | None, Field(title="Progression Level")]
    media_url: Annotated[str | None, Field(title="Media Url")]
    active: Annotated[bool, Field(title="Active")]


Resources = TypeAliasType(
    "Resources",
    Annotated[
        list[
            Literal[
                "children",
                "practitioners",
                "exercises",
                "prescriptions",
                "session_records",
                "assessments",
                "milestones",
            ]
        ],
        Field(
            description="the resources to export; all of them when omitted",
            max_length=7,
            min_length=1,
            title="Resources",
        ),
    ],
)


Resources1 = TypeAliasType(
    "Resources1",
    Annotated[
        None,
        Field(description="the resources to export; all of them when omitted", title="Resources"),
    ],
)


class ExportCreate(BaseModel):
    """
    What to export: some resources (all of them when omitted), and only what changed after
    `since` (with what was deleted after it).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    resources: Annotated[
        Resources | Resources1 | None,
        Field(description="the resources to export; all of them when omitted", title="Resources"),
    ] = None
    since: Annotated[
        AwareDatetime | None,
        Field(
            description="only what changed after this instant, and what was deleted", title="Since"
        ),
    ] = None


class ExportFile(BaseModel):
    """
    One NDJSON file: its resource, where to download it (same token), its line count.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    type: Annotated[str, Field(title="Type")]
    url: Annotated[str, Field(title="Url")]
    count: Annotated[int, Field(title="Count")]


class ExportPublic(BaseModel):
    """
    An export: while it runs, its status and progress; when done, its manifest.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    status: Annotated[
        Literal["queued", "running", "completed", "failed"] | str, Field(title="Status")
    ]
    progress: Annotated[
        str | None, Field(description="while it runs: how far it got", title="Progress")
    ]
    resources: Annotated[list[str], Field(title="Resources")]
    since: Annotated[AwareDatetime | None, Field(title="Since")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    expires_at: Annotated[
        AwareDatetime,
        Field(description="its files and status are deleted then", title="Expires At"),
    ]
    transaction_time: Annotated[
        AwareDatetime | None,
        Field(
            description="when done: the moment of the snapshot it wrote (export again from here)",
            title="Transaction Time",
        ),
    ]
    output: Annotated[
        list[ExportFile],
        Field(description="when done: one or more files per resource", title="Output"),
    ]
    deleted: Annotated[
        list[ExportFile],
        Field(
            description="when done with `since`: the ids (and `deleted_at`) deleted after it",
            title="Deleted",
        ),
    ]


class FEASScores(BaseModel):
    """
    The FEAS raw total.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    rule: Annotated[Literal["feas@raw-total"] | str, Field(title="Rule")]
    total: Annotated[int, Field(ge=0, title="Total")]
    items_tested: Annotated[int, Field(ge=0, title="Items Tested")]


Level = TypeAliasType("Level", Annotated[int, Field(ge=1, le=9, title="Level")])


class FEDCScores(BaseModel):
    """
    The Functional Emotional Developmental Capacity level (DIR) and its name.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    rule: Annotated[Literal["fedc@greenspan-wieder"] | str, Field(title="Rule")]
    level: Annotated[Level | None, Field(title="Level")]
    capacity: Annotated[str | None, Field(title="Capacity")]
    advanced: Annotated[
        bool | None,
        Field(description="levels 7-9, beyond the six core capacities", title="Advanced"),
    ]


class FedcPoint(BaseModel):
    """
    A final FEDC assessment: the capacity the child showed.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    assessment_id: Annotated[UUID, Field(title="Assessment Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    level: Annotated[int, Field(ge=1, le=9, title="Level")]
    capacity: Annotated[str, Field(title="Capacity")]


class FieldError(BaseModel):
    """
    One invalid field: where it is and what is wrong with it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    location: Annotated[str, Field(description="body, query, path or header", title="Location")]
    pointer: Annotated[
        str,
        Field(
            description="JSON pointer to the field within its location, e.g. #/name",
            title="Pointer",
        ),
    ]
    detail: Annotated[str, Field(title="Detail")]
    code: Annotated[str, Field(title="Code")]


class FloortimeTarget(BaseModel):
    """
    The caregiver's daily DIRFloortime: sessions a day (the therapist's) of 20-30 minutes.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    sessions_per_day: Annotated[int, Field(ge=1, le=12, title="Sessions Per Day")]
    minutes_per_session: Annotated[int | None, Field(ge=10, le=60, title="Minutes Per Session")] = (
        20
    )


class FloortimeWeek(BaseModel):
    """
    Caregiver Floortime in one week (Monday to Sunday, clipped to the period).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    week_from: Annotated[date, Field(title="Week From")]
    week_to: Annotated[date, Field(description="inclusive", title="Week To")]
    days: Annotated[int, Field(title="Days")]
    minutes: Annotated[
        int, Field(description="attended home practice naming no exercise", title="Minutes")
    ]
    target_minutes: Annotated[
        int | None, Field(description="days x the child's daily target", title="Target Minutes")
    ]
    percent: Annotated[
        float | None, Field(description="minutes / target, half up (2 decimals)", title="Percent")
    ]


Level1 = TypeAliasType("Level1", Annotated[int, Field(ge=1, le=5, title="Level")])


class GMFCSScores(BaseModel):
    """
    The GMFCS-E&R level and the child's age band.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    rule: Annotated[Literal["gmfcs-er@2007-r2"] | str, Field(title="Rule")]
    level: Annotated[Level1 | None, Field(title="Level")]
    level_roman: Annotated[
        Literal["I", "II", "III", "IV", "V"] | str | None, Field(title="Level Roman")
    ]
    age_band: Annotated[
        Literal["<2", "2-4", "4-6", "6-12", "12-18", ">=18"] | str | None, Field(title="Age Band")
    ]


class GMFM66Scores(BaseModel):
    """
    The GMAE-2 values as entered (the GMFM-66 is not scored here).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    rule: Annotated[Literal["gmfm66@gmae-2"] | str, Field(title="Rule")]
    gmae_score: Annotated[float | None, Field(title="Gmae Score")]
    standard_error: Annotated[float | None, Field(title="Standard Error")]
    ci95_low: Annotated[float | None, Field(title="Ci95 Low")]
    ci95_high: Annotated[float | None, Field(title="Ci95 High")]
    items_tested: Annotated[int, Field(ge=0, title="Items Tested")]


class GMFM88Change(BaseModel):
    """
    The change since the child's previous final GMFM-88 (percentage points).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    previous_assessment_id: Annotated[UUID, Field(title="Previous Assessment Id")]
    previous_performed_on: Annotated[date, Field(title="Previous Performed On")]
    total_percent: Annotated[float | None, Field(title="Total Percent")]
    goal_total_percent: Annotated[
        float | None,
        Field(
            description="null unless both assessments marked the same goal dimensions",
            title="Goal Total Percent",
        ),
    ]


class GMFM88Dimension(BaseModel):
    """
    One GMFM-88 dimension: raw score, maximum, percent; NT and absent items count 0.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    raw: Annotated[int, Field(ge=0, title="Raw")]
    max: Annotated[int, Field(ge=0, title="Max")]
    percent: Annotated[float, Field(description="rounded to 2 decimals", title="Percent")]
    items_tested: Annotated[int, Field(ge=0, title="Items Tested")]


class GMFM88Dimensions(BaseModel):
    """
    A lying & rolling, B sitting, C crawling & kneeling, D standing, E walking.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    A: GMFM88Dimension
    B: GMFM88Dimension
    C: GMFM88Dimension
    D: GMFM88Dimension
    E: GMFM88Dimension


class GMFM88Scores(BaseModel):
    """
    GMFM-88 dimension percents, total and goal total percent.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    rule: Annotated[Literal["gmfm88@3rd-ed-r3"] | str, Field(title="Rule")]
    dimensions: GMFM88Dimensions
    total_percent: Annotated[
        float, Field(description="rounded to 2 decimals", title="Total Percent")
    ]
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"] | str], Field(title="Goal Dimensions")
    ]
    goal_total_percent: Annotated[float | None, Field(title="Goal Total Percent")]
    items_tested: Annotated[int, Field(ge=0, title="Items Tested")]
    items_missing: Annotated[int, Field(ge=0, title="Items Missing")]
    change: Annotated[
        GMFM88Change | None, Field(description="null for the child's first final GMFM-88")
    ] = None


class GmfmMeasure(BaseModel):
    """
    A final GMFM-88's total.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    assessment_id: Annotated[UUID, Field(title="Assessment Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    total_percent: Annotated[float, Field(title="Total Percent")]


class GmfmPoint(BaseModel):
    """
    One final GMFM-88 of the series.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    assessment_id: Annotated[UUID, Field(title="Assessment Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    total_percent: Annotated[float, Field(title="Total Percent")]
    goal_total_percent: Annotated[float | None, Field(title="Goal Total Percent")]
    age: AgePublic | None


class HINEOptimality(BaseModel):
    """
    The comparison with the nearest published optimality reference (±14 days).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    reference_age_weeks: Annotated[int, Field(title="Reference Age Weeks")]
    reference_score: Annotated[float, Field(title="Reference Score")]
    below_reference: Annotated[bool, Field(title="Below Reference")]


class HealthStatus(BaseModel):
    """
    Probe result.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    status: Annotated[Literal["ok", "ready"] | str, Field(title="Status")]


Note = TypeAliasType("Note", Annotated[str, Field(max_length=10000, title="Note")])


class MilestoneCreate(BaseModel):
    """
    A new milestone observation of a child.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    child_id: Annotated[UUID, Field(description="a live child of the clinic", title="Child Id")]
    milestone: Annotated[
        Literal[
            "sitting_without_support",
            "standing_with_assistance",
            "hands_and_knees_crawling",
            "walking_with_assistance",
            "standing_alone",
            "walking_alone",
            "head_control",
            "rolling",
            "four_point",
            "kneeling",
            "transitions",
            "stairs",
            "uneven_ground",
        ],
        Field(title="Milestone"),
    ]
    achieved_on: Annotated[
        date | None,
        Field(
            description="when first achieved; null records 'not yet'. Not before birth, not in the future",
            title="Achieved On",
        ),
    ] = None
    observed_on: Annotated[
        date | None,
        Field(
            description="when observed; not before birth, not in the future, not before `achieved_on`",
            title="Observed On",
        ),
    ] = None
    support_needed: Annotated[
        Literal["none", "minimal", "moderate", "maximal"] | None, Field(title="Support Needed")
    ] = None
    note: Annotated[Note | None, Field(title="Note")] = None


class MilestoneCreateInChild(BaseModel):
    """
    A new milestone observation of a child. The child is the one in the path.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    child_id: Annotated[
        UUID | None,
        Field(
            description="Optional: the child is the one in the path. Another child's id is 422 (`child_id_mismatch`).",
            title="Child Id",
        ),
    ] = None
    milestone: Annotated[
        Literal[
            "sitting_without_support",
            "standing_with_assistance",
            "hands_and_knees_crawling",
            "walking_with_assistance",
            "standing_alone",
            "walking_alone",
            "head_control",
            "rolling",
            "four_point",
            "kneeling",
            "transitions",
            "stairs",
            "uneven_ground",
        ],
        Field(title="Milestone"),
    ]
    achieved_on: Annotated[
        date | None,
        Field(
            description="when first achieved; null records 'not yet'. Not before birth, not in the future",
            title="Achieved On",
        ),
    ] = None
    observed_on: Annotated[
        date | None,
        Field(
            description="when observed; not before birth, not in the future, not before `achieved_on`",
            title="Observed On",
        ),
    ] = None
    support_needed: Annotated[
        Literal["none", "minimal", "moderate", "maximal"] | None, Field(title="Support Needed")
    ] = None
    note: Annotated[Note | None, Field(title="Note")] = None


class MilestonePatch(BaseModel):
    """
    Changes to an observation: only the fields sent are changed (the child cannot change).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    milestone: Annotated[
        Literal[
            "sitting_without_support",
            "standing_with_assistance",
            "hands_and_knees_crawling",
            "walking_with_assistance",
            "standing_alone",
            "walking_alone",
            "head_control",
            "rolling",
            "four_point",
            "kneeling",
            "transitions",
            "stairs",
            "uneven_ground",
        ]
        | None,
        Field(title="Milestone"),
    ] = None
    achieved_on: Annotated[
        date | None,
        Field(
            description="when first achieved; null records 'not yet'. Not before birth, not in the future",
            title="Achieved On",
        ),
    ] = None
    observed_on: Annotated[
        date | None,
        Field(
            description="when observed; not before birth, not in the future, not before `achieved_on`",
            title="Observed On",
        ),
    ] = None
    support_needed: Annotated[
        Literal["none", "minimal", "moderate", "maximal"] | None, Field(title="Support Needed")
    ] = None
    note: Annotated[Note | None, Field(title="Note")] = None


class OAuthErrorResponse(BaseModel):
    """
    RFC 6749 §5.2 error response.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    error: Annotated[str, Field(title="Error")]
    error_description: Annotated[str, Field(title="Error Description")]
    request_id: Annotated[str | None, Field(title="Request Id")] = None


class OverallAdherence(BaseModel):
    """
    The scheduled items together.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    prescribed: Dose
    delivered: Dose
    percent: AdherencePercent


BasalItem = TypeAliasType(
    "BasalItem",
    Annotated[
        int,
        Field(
            description="the first of the first three consecutive items scored 2",
            ge=1,
            title="Basal Item",
        ),
    ],
)


CeilingItem = TypeAliasType(
    "CeilingItem",
    Annotated[
        int,
        Field(
            description="the first of the first three consecutive items scored 0 past the basal",
            ge=1,
            title="Ceiling Item",
        ),
    ],
)


class PDMSSubtest(BaseModel):
    """
    A subtest's raw total with the manual's basal and ceiling: `raw` = twice `credited` (items
    below the basal not administered) + the scores of the items up to the ceiling.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    raw: Annotated[int, Field(ge=0, title="Raw")]
    items_scored: Annotated[int, Field(ge=0, title="Items Scored")]
    basal_item: Annotated[
        BasalItem | None,
        Field(
            description="the first of the first three consecutive items scored 2",
            title="Basal Item",
        ),
    ]
    ceiling_item: Annotated[
        CeilingItem | None,
        Field(
            description="the first of the first three consecutive items scored 0 past the basal",
            title="Ceiling Item",
        ),
    ]
    credited: Annotated[int, Field(ge=0, title="Credited")]
    past_ceiling: Annotated[
        int,
        Field(description="items recorded past the ceiling, counted 0", ge=0, title="Past Ceiling"),
    ]
    basal_established: Annotated[
        bool,
        Field(
            description="false: no basal and testing did not start at item 1; the raw total is of the items recorded only and is not the manual's",
            title="Basal Established",
        ),
    ]


NextCursor1 = TypeAliasType(
    "NextCursor1",
    Annotated[
        str,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            max_length=200,
            min_length=40,
            pattern="^[A-Za-z0-9_-]+$",
            title="Next Cursor",
        ),
    ],
)


class PageAuditEventPublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[AuditEventPublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]


class PageClientPublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[ClientPublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]


class PageExercisePublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[ExercisePublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]


class PauseSpan(BaseModel):
    """
    A span during which the program was paused (`end` null while paused).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    start: Annotated[date, Field(description="The first paused day (inclusive).", title="Start")]
    end: Annotated[
        date | None,
        Field(
            description="The day the program resumed or ended (exclusive): the last paused day is the day before; null while paused.",
            title="End",
        ),
    ]


Repetitions = TypeAliasType(
    "Repetitions", Annotated[int, Field(description="0 to 500.", ge=0, le=500, title="Repetitions")]
)


Sets = TypeAliasType(
    "Sets", Annotated[int, Field(description="0 to 50.", ge=0, le=50, title="Sets")]
)


Note3 = TypeAliasType(
    "Note3",
    Annotated[str, Field(description="At most 2000 characters.", max_length=2000, title="Note")],
)


class PerformedExercise(BaseModel):
    """
    One exercise as performed in the session.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    exercise_id: Annotated[
        UUID, Field(description="An exercise of the clinic's library.", title="Exercise Id")
    ]
    prescription_item_id: Annotated[
        UUID | None,
        Field(
            description="The item of one of this child's prescriptions being delivered (not removed); its exercise must be `exercise_id`.",
            title="Prescription Item Id",
        ),
    ] = None
    repetitions: Annotated[
        Repetitions | None, Field(description="0 to 500.", title="Repetitions")
    ] = None
    sets: Annotated[Sets | None, Field(description="0 to 50.", title="Sets")] = None
    support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles", "hands", "other"] | None,
        Field(description="Where the hold was.", title="Support Point"),
    ] = None
    response: Annotated[
        Literal["none", "partial", "full"] | None,
        Field(description="How much of the desired response the child showed.", title="Response"),
    ] = None
    note: Annotated[Note3 | None, Field(title="Note")] = None


class PerformedExercisePublic(BaseModel):
    """
    One exercise as performed.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    exercise_id: Annotated[UUID, Field(title="Exercise Id")]
    prescription_item_id: Annotated[UUID | None, Field(title="Prescription Item Id")] = None
    repetitions: Annotated[int | None, Field(title="Repetitions")] = None
    sets: Annotated[int | None, Field(title="Sets")] = None
    support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles", "hands", "other"] | str | None,
        Field(title="Support Point"),
    ] = None
    response: Annotated[
        Literal["none", "partial", "full"] | str | None, Field(title="Response")
    ] = None
    note: Annotated[str | None, Field(title="Note")] = None


Credentials = TypeAliasType(
    "Credentials", Annotated[str, Field(max_length=200, min_length=1, title="Credentials")]
)


class PractitionerCreate(BaseModel):
    """
    A new practitioner.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    name: Annotated[str, Field(max_length=200, min_length=1, title="Name")]
    discipline: Annotated[Literal["PT", "OT", "SLP", "other"], Field(title="Discipline")]
    credentials: Annotated[Credentials | None, Field(title="Credentials")] = None
    external_id: Annotated[ExternalId3 | None, Field(title="External Id")] = None
    active: Annotated[bool | None, Field(title="Active")] = True


class PractitionerPatch(BaseModel):
    """
    Changes to a practitioner: only the fields sent are changed.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    name: Annotated[str | None, Field(max_length=200, min_length=1, title="Name")] = None
    discipline: Annotated[Literal["PT", "OT", "SLP", "other"] | None, Field(title="Discipline")] = (
        None
    )
    credentials: Annotated[Credentials | None, Field(title="Credentials")] = None
    external_id: Annotated[ExternalId3 | None, Field(title="External Id")] = None
    active: Annotated[bool | None, Field(title="Active")] = None


class PractitionerPublic(BaseModel):
    """
    A practitioner.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    name: Annotated[str, Field(title="Name")]
    discipline: Annotated[Literal["PT", "OT", "SLP", "other"] | str, Field(title="Discipline")]
    credentials: Annotated[str | None, Field(title="Credentials")]
    external_id: Annotated[str | None, Field(title="External Id")]
    active: Annotated[bool, Field(title="Active")]


Goal = TypeAliasType("Goal", Annotated[str, Field(max_length=2000, title="Goal")])


HoldSeconds = TypeAliasType(
    "HoldSeconds",
    Annotated[
        int,
        Field(
            description="Seconds each position is held, 0 to 600.",
            ge=0,
            le=600,
            title="Hold Seconds",
        ),
    ],
)


TimesPerDay = TypeAliasType(
    "TimesPerDay",
    Annotated[
        int,
        Field(
            description="Practices per day, 1 to 10 (Timing.repeat.frequency).",
            ge=1,
            le=10,
            title="Times Per Day",
        ),
    ],
)


DaysPerWeek = TypeAliasType(
    "DaysPerWeek",
    Annotated[
        int, Field(description="Practice days per week, 1 to 7.", ge=1, le=7, title="Days Per Week")
    ],
)


Instructions = TypeAliasType(
    "Instructions",
    Annotated[
        str,
        Field(
            description="Free-text instructions for the therapist or caregiver (≤ 2000).",
            max_length=2000,
            title="Instructions",
        ),
    ],
)


class PrescriptionItemCreate(BaseModel):
    """
    One exercise of the program with its dose (the shape of FHIR `Timing.repeat`).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    exercise_id: Annotated[
        UUID, Field(description="An exercise of the clinic's library.", title="Exercise Id")
    ]
    repetitions: Annotated[
        int, Field(description="Repetitions per set, 1 to 100.", ge=1, le=100, title="Repetitions")
    ]
    sets: Annotated[
        int | None, Field(description="Sets per practice, 1 to 20.", ge=1, le=20, title="Sets")
    ] = 1
    hold_seconds: Annotated[
        HoldSeconds | None,
        Field(description="Seconds each position is held, 0 to 600.", title="Hold Seconds"),
    ] = None
    support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles", "hands", "other"] | None,
        Field(
            description="Where the therapist holds; null means the exercise's default support point.",
            title="Support Point",
        ),
    ] = None
    side: Annotated[Literal["left", "right", "bilateral", "n/a"] | None, Field(title="Side")] = (
        "n/a"
    )
    times_per_day: Annotated[
        TimesPerDay | None,
        Field(
            description="Practices per day, 1 to 10 (Timing.repeat.frequency).",
            title="Times Per Day",
        ),
    ] = None
    days_per_week: Annotated[
        DaysPerWeek | None,
        Field(description="Practice days per week, 1 to 7.", title="Days Per Week"),
    ] = None
    instructions: Annotated[Instructions | None, Field(title="Instructions")] = None


class PrescriptionItemPublic(BaseModel):
    """
    One dosed exercise of a prescription; `id` is stable across edits.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    exercise_id: Annotated[UUID, Field(title="Exercise Id")]
    repetitions: Annotated[int | None, Field(title="Repetitions")]
    sets: Annotated[int | None, Field(title="Sets")]
    hold_seconds: Annotated[int | None, Field(title="Hold Seconds")]
    support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles", "hands", "other"] | str | None,
        Field(title="Support Point"),
    ]
    side: Annotated[Literal["left", "right", "bilateral", "n/a"] | str, Field(title="Side")]
    times_per_day: Annotated[int | None, Field(title="Times Per Day")]
    days_per_week: Annotated[int | None, Field(title="Days Per Week")]
    instructions: Annotated[str | None, Field(title="Instructions")]


class PrescriptionItemReplace(BaseModel):
    """
    A whole item of a PATCH: with the `id` of a current item it keeps that id, else it is new.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    exercise_id: Annotated[
        UUID, Field(description="An exercise of the clinic's library.", title="Exercise Id")
    ]
    repetitions: Annotated[
        int, Field(description="Repetitions per set, 1 to 100.", ge=1, le=100, title="Repetitions")
    ]
    sets: Annotated[
        int | None, Field(description="Sets per practice, 1 to 20.", ge=1, le=20, title="Sets")
    ] = 1
    hold_seconds: Annotated[
        HoldSeconds | None,
        Field(description="Seconds each position is held, 0 to 600.", title="Hold Seconds"),
    ] = None
    support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles", "hands", "other"] | None,
        Field(
            description="Where the therapist holds; null means the exercise's default support point.",
            title="Support Point",
        ),
    ] = None
    side: Annotated[Literal["left", "right", "bilateral", "n/a"] | None, Field(title="Side")] = (
        "n/a"
    )
    times_per_day: Annotated[
        TimesPerDay | None,
        Field(
            description="Practices per day, 1 to 10 (Timing.repeat.frequency).",
            title="Times Per Day",
        ),
    ] = None
    days_per_week: Annotated[
        DaysPerWeek | None,
        Field(description="Practice days per week, 1 to 7.", title="Days Per Week"),
    ] = None
    instructions: Annotated[Instructions | None, Field(title="Instructions")] = None
    id: Annotated[
        UUID | None,
        Field(
            description="The id of an item of this prescription to keep; omit for new.", title="Id"
        ),
    ] = None


class PrescriptionPatch(BaseModel):
    """
    Changes to a prescription; `items`, when sent, replaces the whole list.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    prescriber_id: Annotated[UUID | None, Field(title="Prescriber Id")] = None
    setting: Annotated[Literal["clinic", "home", "intensive"] | None, Field(title="Setting")] = None
    status: Annotated[
        Literal["draft", "active", "paused", "completed", "discontinued"] | None,
        Field(
            description="draft→active|discontinued; active→paused|completed|discontinued; paused→active|completed|discontinued; completed and discontinued are final. Another change is 422 at `#/status`.",
            title="Status",
        ),
    ] = None
    status_date: Annotated[
        date | None,
        Field(
            description="When a status change takes effect (default today, the clinic's date in its `time_zone`): opens or closes a pause; `completed` or `discontinued` from this day on.",
            title="Status Date",
        ),
    ] = None
    period_start: Annotated[date | None, Field(title="Period Start")] = None
    period_end: Annotated[date | None, Field(title="Period End")] = None
    goal: Annotated[Goal | None, Field(title="Goal")] = None
    block: Annotated[
        BlockPlan | None,
        Field(
            description="An intensive block's plan (`setting: intensive` only; 422 at `#/block` otherwise): its summary is `GET /v1/prescriptions/{id}/block-summary`. Null removes it."
        ),
    ] = None
    items: Annotated[
        list[PrescriptionItemReplace] | None,
        Field(
            description="The whole new list: items with an existing `id` keep it, items without get a new one, omitted items are removed (sessions that recorded them stay valid).",
            max_length=50,
            min_length=1,
            title="Items",
        ),
    ] = None


class PrescriptionPublic(BaseModel):
    """
    An exercise program prescribed to a child, its items in order.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    prescriber_id: Annotated[UUID, Field(title="Prescriber Id")]
    setting: Annotated[Literal["clinic", "home", "intensive"] | str, Field(title="Setting")]
    status: Annotated[
        Literal["draft", "active", "paused", "completed", "discontinued"] | str,
        Field(title="Status"),
    ]
    period_start: Annotated[date, Field(title="Period Start")]
    period_end: Annotated[date | None, Field(title="Period End")]
    goal: Annotated[str | None, Field(title="Goal")]
    block: Annotated[BlockPlan | None, Field(description="an intensive block's plan, if any")]
    pauses: Annotated[list[PauseSpan], Field(title="Pauses")]
    ended_on: Annotated[
        date | None,
        Field(
            description="the day it was completed or discontinued (null while it runs); its adherence counts the days before it, in every period it ran in",
            title="Ended On",
        ),
    ]
    items: Annotated[list[PrescriptionItemPublic], Field(title="Items")]


class Problem(BaseModel):
    """
    An RFC 9457 problem document.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    type: Annotated[str, Field(title="Type")]
    title: Annotated[str, Field(title="Title")]
    status: Annotated[int, Field(title="Status")]
    detail: Annotated[str, Field(title="Detail")]
    code: Annotated[str, Field(description="stable machine-readable error code", title="Code")]
    request_id: Annotated[str | None, Field(title="Request Id")] = None
    errors: Annotated[list[FieldError] | None, Field(title="Errors")] = None


class RawOfMax(BaseModel):
    """
    A raw score and its maximum.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    raw: Annotated[int, Field(ge=0, title="Raw")]
    max: Annotated[int, Field(ge=0, title="Max")]


class RecordWarning(BaseModel):
    """
    One warning: a code to act on, a sentence for the clinician, the field it is about.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    code: Annotated[
        Literal[
            "most_items_missing",
            "outside_age_range",
            "after_independent_walking",
            "before_term_equivalent_age",
            "coverage_differs",
        ]
        | str,
        Field(title="Code"),
    ]
    detail: Annotated[str, Field(title="Detail")]
    pointer: Annotated[
        str, Field(description="JSON pointer to the field, e.g. `#/items`", title="Pointer")
    ]


class RotationPublic(BaseModel):
    """
    A rotation under way: until when the previous secret still signs.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    previous_expires_at: Annotated[AwareDatetime, Field(title="Previous Expires At")]


class SecretRotation(BaseModel):
    """
    How long the previous secret keeps signing beside the new one.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    overlap_seconds: Annotated[
        int | None,
        Field(
            description="seconds during which deliveries are signed with both secrets (0: the previous secret stops at once)",
            ge=0,
            le=604800,
            title="Overlap Seconds",
        ),
    ] = 86400


class SessionRecordBatch(BaseModel):
    """
    Up to 100 session records, each committed or refused on its own.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    items: Annotated[list[BatchItem], Field(max_length=100, min_length=1, title="Items")]


DurationMinutes = TypeAliasType(
    "DurationMinutes",
    Annotated[int, Field(description="Minutes, 1 to 720.", ge=1, le=720, title="Duration Minutes")],
)


class SessionTotals(BaseModel):
    """
    Sessions of one type in the period.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    type: Annotated[
        Literal["dmi", "dirfloortime", "parent_coaching", "evaluation", "home_practice"] | str,
        Field(title="Type"),
    ]
    attended: Annotated[int, Field(title="Attended")]
    cancelled: Annotated[int, Field(title="Cancelled")]
    no_show: Annotated[int, Field(title="No Show")]
    minutes: Annotated[int, Field(description="Minutes of attended sessions.", title="Minutes")]


class SignRequest(BaseModel):
    """
    Sign a record: it can then only be amended.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    signed_by: Annotated[
        UUID, Field(description="The signing practitioner of the clinic.", title="Signed By")
    ]


Subjective = TypeAliasType(
    "Subjective", Annotated[str, Field(max_length=10000, title="Subjective")]
)


Objective = TypeAliasType("Objective", Annotated[str, Field(max_length=10000, title="Objective")])


Assessment = TypeAliasType(
    "Assessment", Annotated[str, Field(max_length=10000, title="Assessment")]
)


Plan = TypeAliasType("Plan", Annotated[str, Field(max_length=10000, title="Plan")])


class SoapNotes(BaseModel):
    """
    SOAP notes, each at most 10000 characters.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    subjective: Annotated[Subjective | None, Field(title="Subjective")] = None
    objective: Annotated[Objective | None, Field(title="Objective")] = None
    assessment: Annotated[Assessment | None, Field(title="Assessment")] = None
    plan: Annotated[Plan | None, Field(title="Plan")] = None


class SoapNotesPublic(BaseModel):
    """
    SOAP notes.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    subjective: Annotated[str | None, Field(title="Subjective")] = None
    objective: Annotated[str | None, Field(title="Objective")] = None
    assessment: Annotated[str | None, Field(title="Assessment")] = None
    plan: Annotated[str | None, Field(title="Plan")] = None


class SupportPointMove(BaseModel):
    """
    The hold moved down (distal) or back up (proximal) between two sessions.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    on: Annotated[
        date, Field(description="the local date of the first session at the new point", title="On")
    ]
    from_support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles"] | str,
        Field(title="From Support Point"),
    ]
    to_support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles"] | str,
        Field(title="To Support Point"),
    ]
    direction: Annotated[Literal["down", "up"] | str, Field(title="Direction")]


class SupportPointUse(BaseModel):
    """
    The hold used for an exercise in one session.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    on: Annotated[date, Field(title="On")]
    session_record_id: Annotated[UUID, Field(title="Session Record Id")]
    support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles", "hands", "other"] | str,
        Field(title="Support Point"),
    ]
    response: Annotated[str | None, Field(title="Response")]


class TokenResponse(BaseModel):
    """
    RFC 6749 §5.1 access token response.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    access_token: Annotated[str, Field(title="Access Token")]
    token_type: Annotated[str | None, Field(title="Token Type")] = "Bearer"
    expires_in: Annotated[int, Field(title="Expires In")]
    scope: Annotated[str, Field(title="Scope")]


class UnscoredAssessment(BaseModel):
    """
    A DMI evaluation or a custom assessment: no scoring rule, `scores` is always null.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    assessor_id: Annotated[UUID | None, Field(title="Assessor Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    status: Annotated[Literal["draft", "final"] | str, Field(title="Status")]
    items: Annotated[dict[str, Any], Field(title="Items")]
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"] | str], Field(title="Goal Dimensions")
    ]
    entered: Annotated[dict[str, Any], Field(title="Entered")]
    notes: Annotated[str | None, Field(title="Notes")]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]
    age: Annotated[AgePublic | None, Field(description="Ages on `performed_on`.")] = None
    instrument: Annotated[Literal["custom", "dmi_evaluation"], Field(title="Instrument")]
    scores: Annotated[None, Field(title="Scores")]


class VersionPublic(BaseModel):
    """
    One kept version of a resource.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    version: Annotated[int, Field(title="Version")]
    recorded_at: Annotated[AwareDatetime, Field(title="Recorded At")]
    client_id: Annotated[UUID | None, Field(title="Client Id")]
    resource: Annotated[dict[str, Any], Field(title="Resource")]


class WebhookDeliveryPublic(BaseModel):
    """
    One event's delivery to an endpoint: its attempts so far and the next one (the
    receiver's answer is not kept, only its status code and latency).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    event_id: Annotated[UUID, Field(title="Event Id")]
    event_type: Annotated[str, Field(title="Event Type")]
    status: Annotated[Literal["pending", "succeeded", "failed"] | str, Field(title="Status")]
    attempts: Annotated[int, Field(title="Attempts")]
    last_status_code: Annotated[int | None, Field(title="Last Status Code")]
    last_latency_ms: Annotated[float | None, Field(title="Last Latency Ms")]
    last_error_class: Annotated[
        str | None,
        Field(
            description="why the last attempt failed without a status code (timeout, refused connection, ...)",
            title="Last Error Class",
        ),
    ]
    last_retry_after_seconds: Annotated[
        int | None,
        Field(
            description="the wait the last answer (a 429 or 503) asked for with `Retry-After`, in seconds (an HTTP date counted from the answer); `next_attempt_at` is no sooner, but at most 24 h after the answer and never past the delivery's give-up time (about three days after it was made); null when the answer asked for none",
            title="Last Retry After Seconds",
        ),
    ]
    next_attempt_at: Annotated[AwareDatetime | None, Field(title="Next Attempt At")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]


EventType = TypeAliasType(
    "EventType",
    Annotated[
        str,
        Field(
            max_length=64,
            pattern="^(?:\\*|child\\.(?:\\*|created|updated|deleted)|practitioner\\.(?:\\*|created|updated|deleted)|exercise\\.(?:\\*|created|updated|deleted)|milestone\\.(?:\\*|created|updated|deleted)|prescription\\.(?:\\*|created|updated|status_changed|deleted)|session_record\\.(?:\\*|created|updated|signed|amended|deleted)|assessment\\.(?:\\*|created|updated|finalized|scored|deleted|due)|client\\.(?:\\*|created|updated)|webhook_endpoint\\.(?:\\*|disabled))$",
        ),
    ],
)


Description = TypeAliasType(
    "Description", Annotated[str, Field(max_length=500, title="Description")]
)


class WebhookEndpointCreate(BaseModel):
    """
    A new endpoint of the caller's clinic.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    url: Annotated[
        str,
        Field(
            description="the receiver: https:// on a public host (every address it resolves to is checked, at registration and at each delivery)",
            max_length=2048,
            min_length=1,
            title="Url",
        ),
    ]
    event_types: Annotated[
        list[EventType],
        Field(
            description="the events to deliver: an event type (`session_record.signed`), every event of a resource (`session_record.*`), or `*` for every event, including types added later",
            max_length=50,
            min_length=1,
            title="Event Types",
        ),
    ]
    description: Annotated[Description | None, Field(title="Description")] = None


class WebhookEndpointPublic(BaseModel):
    """
    An endpoint as its clinic's administrators see it (never its secret).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    url: Annotated[str, Field(title="Url")]
    description: Annotated[str | None, Field(title="Description")]
    event_types: Annotated[list[str], Field(title="Event Types")]
    status: Annotated[Literal["active", "disabled"] | str, Field(title="Status")]
    disabled_reason: Annotated[
        Literal["manual", "failing", "gone"] | str | None,
        Field(
            description="`manual` (disabled through the API), `failing` (every delivery failed for five days) or `gone` (the receiver answered 410 Gone); null while active",
            title="Disabled Reason",
        ),
    ]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    version: Annotated[int, Field(title="Version")]
    secret_rotation: Annotated[
        RotationPublic | None,
        Field(description="while the previous secret still signs (after a rotation), until when"),
    ]


class WebhookEndpointUpdate(BaseModel):
    """
    Changes to an endpoint; omitted fields stay as they are. `status: active` re-enables a
    disabled endpoint (its failure record starts over); `disabled` stops its deliveries.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    url: Annotated[
        str | None,
        Field(
            description="the receiver: https:// on a public host (every address it resolves to is checked, at registration and at each delivery)",
            max_length=2048,
            min_length=1,
            title="Url",
        ),
    ] = None
    event_types: Annotated[
        list[EventType] | None,
        Field(
            description="the events to deliver: an event type (`session_record.signed`), every event of a resource (`session_record.*`), or `*` for every event, including types added later",
            max_length=50,
            min_length=1,
            title="Event Types",
        ),
    ] = None
    description: Annotated[Description | None, Field(title="Description")] = None
    status: Annotated[Literal["active", "disabled"] | None, Field(title="Status")] = None


class WebhookEndpointWithSecret(BaseModel):
    """
    The answer of a creation or a rotation: the only time the signing secret is shown.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    url: Annotated[str, Field(title="Url")]
    description: Annotated[str | None, Field(title="Description")]
    event_types: Annotated[list[str], Field(title="Event Types")]
    status: Annotated[Literal["active", "disabled"] | str, Field(title="Status")]
    disabled_reason: Annotated[
        Literal["manual", "failing", "gone"] | str | None,
        Field(
            description="`manual` (disabled through the API), `failing` (every delivery failed for five days) or `gone` (the receiver answered 410 Gone); null while active",
            title="Disabled Reason",
        ),
    ]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    version: Annotated[int, Field(title="Version")]
    secret_rotation: Annotated[
        RotationPublic | None,
        Field(description="while the previous secret still signs (after a rotation), until when"),
    ]
    secret: Annotated[
        str,
        Field(
            description="the signing secret (`whsec_` + base64), for Standard Webhooks verification",
            title="Secret",
        ),
    ]


class AIMSPosition(BaseModel):
    """
    One position's subscore with the manual's window credit: `raw` = `credited` (the items
    below the least mature item observed) + `observed` (the items recorded as observed).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    raw: Annotated[int, Field(ge=0, title="Raw")]
    max: Annotated[int, Field(ge=0, title="Max")]
    observed: Annotated[int, Field(ge=0, title="Observed")]
    credited: Annotated[int, Field(ge=0, title="Credited")]
    window: Annotated[
        AIMSWindow | None, Field(description="none when no item of the position was observed")
    ]


class AIMSPositions(BaseModel):
    """
    Subscores per position.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    prone: AIMSPosition
    supine: AIMSPosition
    sitting: AIMSPosition
    standing: AIMSPosition


class AIMSScores(BaseModel):
    """
    AIMS subscores and total; the percentile from the clinic's norms, else as entered.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    rule: Annotated[Literal["aims@piper-darrah-1994-r3"] | str, Field(title="Rule")]
    positions: AIMSPositions
    total: Annotated[int, Field(ge=0, title="Total")]
    max: Annotated[int, Field(ge=0, title="Max")]
    percentile: Annotated[float | None, Field(title="Percentile")]
    percentile_source: Annotated[
        Literal["clinic_norms", "entered"] | str | None, Field(title="Percentile Source")
    ]


class BlockGmfm(BaseModel):
    """
    The GMFM-88 change across a block.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    before: Annotated[
        GmfmMeasure | None,
        Field(description="the last final GMFM-88 on or before the block's first day"),
    ]
    after: Annotated[
        GmfmMeasure | None,
        Field(
            description="the first final GMFM-88 from the block's last day to `followup_weeks` weeks after it"
        ),
    ]
    change: Annotated[
        float | None, Field(description="after - before, when both exist", title="Change")
    ]
    followup_weeks: Annotated[
        int, Field(description="the clinic setting `block_followup_weeks`", title="Followup Weeks")
    ]


class BlockSummary(BaseModel):
    """
    An intensive block (a prescription with setting `intensive`): planned, delivered,
    adherence and the GMFM-88 change across it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    prescription_id: Annotated[UUID, Field(title="Prescription Id")]
    child_id: Annotated[UUID, Field(title="Child Id")]
    status: Annotated[str, Field(title="Status")]
    first_day: Annotated[date, Field(title="First Day")]
    last_day: Annotated[
        date | None,
        Field(
            description="its period's end, or the day before it was completed or discontinued",
            title="Last Day",
        ),
    ]
    completed: Annotated[bool, Field(description="its last day is past", title="Completed")]
    planned: Annotated[
        BlockDose | None, Field(description="from the prescription's `block`; null without")
    ]
    delivered: BlockDelivered
    adherence: BlockAdherence | None
    gmfm88: BlockGmfm
    rule: Annotated[
        str, Field(description="`intensive-block@2`: docs/clinical-rules.md", title="Rule")
    ]


class ChildCreate(BaseModel):
    """
    A new child.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    given_name: Annotated[str, Field(max_length=100, min_length=1, title="Given Name")]
    family_name: Annotated[str, Field(max_length=100, min_length=1, title="Family Name")]
    preferred_name: Annotated[PreferredName | None, Field(title="Preferred Name")] = None
    birth_date: Annotated[
        date,
        Field(
            description="not in the future and not before 1990-01-01 (a pediatric caseload)",
            title="Birth Date",
        ),
    ]
    sex: Annotated[Literal["female", "male", "other", "unknown"], Field(title="Sex")]
    gestational_age_weeks: Annotated[
        GestationalAgeWeeks | None, Field(title="Gestational Age Weeks")
    ] = None
    gestational_age_days: Annotated[
        GestationalAgeDays | None, Field(title="Gestational Age Days")
    ] = None
    external_id: Annotated[
        ExternalId | None,
        Field(
            description="the EHR's MRN; unique in the clinic, tombstones included",
            title="External Id",
        ),
    ] = None
    diagnoses: Annotated[
        list[Diagnosis] | None, Field(description="at most 50", max_length=50, title="Diagnoses")
    ] = None
    caregivers: Annotated[
        list[Caregiver] | None, Field(description="at most 10", max_length=10, title="Caregivers")
    ] = None
    floortime_target: Annotated[
        FloortimeTarget | None,
        Field(
            description="the caregiver's daily DIRFloortime target, against which the progress report weighs the Floortime minutes of home practice"
        ),
    ] = None
    status: Annotated[Literal["active", "on_hold", "discharged"] | None, Field(title="Status")] = (
        "active"
    )


class ChildDue(BaseModel):
    """
    A child's next assessments, per instrument, on the clinic's date.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    child_id: Annotated[UUID, Field(title="Child Id")]
    as_of: Annotated[date, Field(description="today in the clinic's time zone", title="As Of")]
    items: Annotated[list[DueItem], Field(title="Items")]


class ChildPatch(BaseModel):
    """
    Changes to a child: only the fields sent are changed (lists are replaced whole).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    given_name: Annotated[str | None, Field(max_length=100, min_length=1, title="Given Name")] = (
        None
    )
    family_name: Annotated[str | None, Field(max_length=100, min_length=1, title="Family Name")] = (
        None
    )
    preferred_name: Annotated[PreferredName | None, Field(title="Preferred Name")] = None
    birth_date: Annotated[date | None, Field(title="Birth Date")] = None
    sex: Annotated[Literal["female", "male", "other", "unknown"] | None, Field(title="Sex")] = None
    gestational_age_weeks: Annotated[
        GestationalAgeWeeks | None, Field(title="Gestational Age Weeks")
    ] = None
    gestational_age_days: Annotated[
        GestationalAgeDays | None, Field(title="Gestational Age Days")
    ] = None
    external_id: Annotated[ExternalId1 | None, Field(title="External Id")] = None
    diagnoses: Annotated[list[Diagnosis] | None, Field(max_length=50, title="Diagnoses")] = None
    caregivers: Annotated[list[Caregiver] | None, Field(max_length=10, title="Caregivers")] = None
    floortime_target: Annotated[
        FloortimeTarget | None,
        Field(
            description="the caregiver's daily DIRFloortime target, against which the progress report weighs the Floortime minutes of home practice; null removes it"
        ),
    ] = None
    status: Annotated[Literal["active", "on_hold", "discharged"] | None, Field(title="Status")] = (
        None
    )


class ChildPublic(BaseModel):
    """
    A child.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    given_name: Annotated[str, Field(title="Given Name")]
    family_name: Annotated[str, Field(title="Family Name")]
    preferred_name: Annotated[str | None, Field(title="Preferred Name")]
    birth_date: Annotated[date, Field(title="Birth Date")]
    sex: Annotated[Literal["female", "male", "other", "unknown"] | str, Field(title="Sex")]
    gestational_age_weeks: Annotated[int | None, Field(title="Gestational Age Weeks")]
    gestational_age_days: Annotated[int | None, Field(title="Gestational Age Days")]
    external_id: Annotated[str | None, Field(title="External Id")]
    diagnoses: Annotated[list[DiagnosisPublic], Field(title="Diagnoses")]
    caregivers: Annotated[list[CaregiverPublic], Field(title="Caregivers")]
    floortime_target: Annotated[
        FloortimeTarget | None,
        Field(
            description="the caregiver's daily DIRFloortime target, against which the progress report weighs the Floortime minutes of home practice"
        ),
    ]
    status: Annotated[Literal["active", "on_hold", "discharged"] | str, Field(title="Status")]
    age: Annotated[
        AgePublic | None,
        Field(
            description="Ages as of today in the clinic's time zone (clinic settings `time_zone`)."
        ),
    ] = None


class ChildReplace(BaseModel):
    """
    The whole child for `PUT …/by-external-id/{external_id}`: omitted optional fields are
    cleared; `status` is required so that a replacement never silently reactivates a child.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    given_name: Annotated[str, Field(max_length=100, min_length=1, title="Given Name")]
    family_name: Annotated[str, Field(max_length=100, min_length=1, title="Family Name")]
    preferred_name: Annotated[PreferredName | None, Field(title="Preferred Name")] = None
    birth_date: Annotated[
        date,
        Field(
            description="not in the future and not before 1990-01-01 (a pediatric caseload)",
            title="Birth Date",
        ),
    ]
    sex: Annotated[Literal["female", "male", "other", "unknown"], Field(title="Sex")]
    gestational_age_weeks: Annotated[
        GestationalAgeWeeks | None, Field(title="Gestational Age Weeks")
    ] = None
    gestational_age_days: Annotated[
        GestationalAgeDays | None, Field(title="Gestational Age Days")
    ] = None
    external_id: Annotated[
        ExternalId2 | None,
        Field(
            description="optional; when sent it must equal the one in the path", title="External Id"
        ),
    ] = None
    diagnoses: Annotated[
        list[Diagnosis] | None, Field(description="at most 50", max_length=50, title="Diagnoses")
    ] = None
    caregivers: Annotated[
        list[Caregiver] | None, Field(description="at most 10", max_length=10, title="Caregivers")
    ] = None
    floortime_target: Annotated[
        FloortimeTarget | None,
        Field(
            description="the caregiver's daily DIRFloortime target, against which the progress report weighs the Floortime minutes of home practice"
        ),
    ] = None
    status: Annotated[Literal["active", "on_hold", "discharged"], Field(title="Status")]


class ChildUpsert(BaseModel):
    """
    The whole child for `PUT /v1/children/by-external-id`: its `external_id` in the body,
    out of the URL.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    given_name: Annotated[str, Field(max_length=100, min_length=1, title="Given Name")]
    family_name: Annotated[str, Field(max_length=100, min_length=1, title="Family Name")]
    preferred_name: Annotated[PreferredName | None, Field(title="Preferred Name")] = None
    birth_date: Annotated[
        date,
        Field(
            description="not in the future and not before 1990-01-01 (a pediatric caseload)",
            title="Birth Date",
        ),
    ]
    sex: Annotated[Literal["female", "male", "other", "unknown"], Field(title="Sex")]
    gestational_age_weeks: Annotated[
        GestationalAgeWeeks | None, Field(title="Gestational Age Weeks")
    ] = None
    gestational_age_days: Annotated[
        GestationalAgeDays | None, Field(title="Gestational Age Days")
    ] = None
    external_id: Annotated[
        str,
        Field(
            description="the EHR's MRN: the child created or replaced",
            max_length=100,
            min_length=1,
            pattern="^[A-Za-z0-9._:\\-]+$",
            title="External Id",
        ),
    ]
    diagnoses: Annotated[
        list[Diagnosis] | None, Field(description="at most 50", max_length=50, title="Diagnoses")
    ] = None
    caregivers: Annotated[
        list[Caregiver] | None, Field(description="at most 10", max_length=10, title="Caregivers")
    ] = None
    floortime_target: Annotated[
        FloortimeTarget | None,
        Field(
            description="the caregiver's daily DIRFloortime target, against which the progress report weighs the Floortime minutes of home practice"
        ),
    ] = None
    status: Annotated[Literal["active", "on_hold", "discharged"], Field(title="Status")]


class ClinicSettingsPublic(BaseModel):
    """
    The clinic's settings; `version` 0 means the defaults were never changed.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    version: Annotated[int, Field(title="Version")]
    preterm_below_weeks: Annotated[int, Field(title="Preterm Below Weeks")]
    correct_until_months: Annotated[int, Field(title="Correct Until Months")]
    aims_norms: AimsNormTable | None
    time_zone: Annotated[str, Field(title="Time Zone")]
    crawling_expected: Annotated[bool, Field(title="Crawling Expected")]
    progress_after_sessions: Annotated[int, Field(title="Progress After Sessions")]
    progress_full_percent: Annotated[int, Field(title="Progress Full Percent")]
    block_followup_weeks: Annotated[int, Field(title="Block Followup Weeks")]
    due_schedule: DueScheduleSettings
    updated_at: Annotated[AwareDatetime | None, Field(title="Updated At")]


class ClinicSettingsPut(BaseModel):
    """
    Every setting (PUT replaces them all; omitted ones return to their defaults).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    preterm_below_weeks: Annotated[
        int | None,
        Field(
            description="Correct the age of children born before this week.",
            ge=22,
            le=42,
            title="Preterm Below Weeks",
        ),
    ] = 37
    correct_until_months: Annotated[
        int | None,
        Field(
            description="Correct the age until the child is this old.",
            ge=0,
            le=60,
            title="Correct Until Months",
        ),
    ] = 24
    aims_norms: Annotated[
        AimsNormTable | None,
        Field(description="AIMS percentiles are reported only from this table."),
    ] = None
    time_zone: Annotated[
        str | None,
        Field(
            description="IANA time zone name (e.g. `Europe/Madrid`). Adherence counts a session on its local date: that of the UTC offset sent with `started_at`, or, for records stored before offsets were kept, the date in this zone.",
            max_length=64,
            min_length=1,
            title="Time Zone",
        ),
    ] = "UTC"
    crawling_expected: Annotated[
        bool | None,
        Field(
            description="When true, hands-and-knees crawling never observed past its window is `late`; otherwise it is `not_observed` (about 4% of children never crawl).",
            title="Crawling Expected",
        ),
    ] = False
    progress_after_sessions: Annotated[
        int | None,
        Field(
            description="DMI support points: sessions at a point before `ready_to_progress`.",
            ge=1,
            le=20,
            title="Progress After Sessions",
        ),
    ] = 3
    progress_full_percent: Annotated[
        int | None,
        Field(
            description="DMI support points: the percentage of full responses over those last sessions that makes an exercise `ready_to_progress`.",
            ge=1,
            le=100,
            title="Progress Full Percent",
        ),
    ] = 80
    block_followup_weeks: Annotated[
        int | None,
        Field(
            description="Intensive blocks: a final GMFM-88 up to this many weeks after a block's last day is its `after` measure.",
            ge=1,
            le=26,
            title="Block Followup Weeks",
        ),
    ] = 4
    due_schedule: Annotated[
        DueScheduleSettings | None,
        Field(description="When assessments fall due; omitted, the published defaults."),
    ] = None


class DeliveredDose(BaseModel):
    """
    The dose recorded, also split by where it was done.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    occasions: Annotated[int, Field(title="Occasions")]
    repetitions: Annotated[int, Field(title="Repetitions")]
    by_source: Annotated[dict[Literal["clinic", "home"] | str, Dose], Field(title="By Source")]


class DirFloortime(BaseModel):
    """
    DIRFloortime over the period: FEDC levels, caregiver Floortime, parent coaching.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    fedc_levels: Annotated[list[FedcPoint], Field(title="Fedc Levels")]
    daily_target_minutes: Annotated[
        int | None,
        Field(
            description="the child's `floortime_target`: sessions a day x minutes a session",
            title="Daily Target Minutes",
        ),
    ]
    weeks: Annotated[list[FloortimeWeek], Field(title="Weeks")]
    parent_coaching: Annotated[list[CoachingMonth], Field(title="Parent Coaching")]
    rule: Annotated[
        str, Field(description="`dirfloortime@2`: docs/clinical-rules.md", title="Rule")
    ]


class EventPublic(BaseModel):
    """
    One change: what, when, to which resource; the names of the fields that changed (none for
    a first version), never their values.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    type: Annotated[
        Literal[
            "child.created",
            "child.updated",
            "child.deleted",
            "practitioner.created",
            "practitioner.updated",
            "practitioner.deleted",
            "exercise.created",
            "exercise.updated",
            "exercise.deleted",
            "milestone.created",
            "milestone.updated",
            "milestone.deleted",
            "prescription.created",
            "prescription.updated",
            "prescription.status_changed",
            "prescription.deleted",
            "session_record.created",
            "session_record.updated",
            "session_record.signed",
            "session_record.amended",
            "session_record.deleted",
            "assessment.created",
            "assessment.updated",
            "assessment.finalized",
            "assessment.scored",
            "assessment.deleted",
            "assessment.due",
            "client.created",
            "client.updated",
            "webhook_endpoint.disabled",
        ]
        | str,
        Field(
            description="`<resource>.<verb>`; every type is listed here and in the README",
            title="Type",
        ),
    ]
    occurred_at: Annotated[AwareDatetime, Field(title="Occurred At")]
    resource: EventResource
    child_id: Annotated[UUID | None, Field(title="Child Id")]
    changed_fields: Annotated[list[str], Field(title="Changed Fields")]


class ExerciseProgression(BaseModel):
    """
    The support point used for one exercise over time (DMI: from the trunk to the ankles).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    exercise_id: Annotated[UUID, Field(title="Exercise Id")]
    code: Annotated[str, Field(title="Code")]
    name: Annotated[str, Field(title="Name")]
    category: Annotated[str, Field(title="Category")]
    uses: Annotated[list[SupportPointUse], Field(title="Uses")]
    current_support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles"] | str | None,
        Field(
            description="the latest hold on the trunk-to-ankles scale (`hands`, `other`: not on it)",
            title="Current Support Point",
        ),
    ]
    next_support_point: Annotated[
        Literal["trunk", "pelvis", "thighs", "knees", "ankles"] | str | None,
        Field(
            description="the next, more distal point; null at the ankles",
            title="Next Support Point",
        ),
    ]
    sessions_at_current: Annotated[
        int, Field(description="sessions since the hold last moved", title="Sessions At Current")
    ]
    full_response_percent_at_current: Annotated[
        float | None,
        Field(
            description="full responses among those sessions' uses with a response (half up)",
            title="Full Response Percent At Current",
        ),
    ]
    moves: Annotated[list[SupportPointMove], Field(title="Moves")]
    ready_to_progress: Annotated[
        bool,
        Field(
            description="the last `progress_after_sessions` sessions at the current point reached `progress_full_percent` % full responses (clinic settings), and a more distal point exists",
            title="Ready To Progress",
        ),
    ]
    rule: Annotated[
        str,
        Field(
            description="`support-progression@2`: docs/clinical-rules.md, DMI support points.",
            title="Rule",
        ),
    ]


class FEASAssessment(BaseModel):
    """
    A FEAS assessment.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    assessor_id: Annotated[UUID | None, Field(title="Assessor Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    status: Annotated[Literal["draft", "final"] | str, Field(title="Status")]
    items: Annotated[dict[str, Any], Field(title="Items")]
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"] | str], Field(title="Goal Dimensions")
    ]
    entered: Annotated[dict[str, Any], Field(title="Entered")]
    notes: Annotated[str | None, Field(title="Notes")]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]
    age: Annotated[AgePublic | None, Field(description="Ages on `performed_on`.")] = None
    instrument: Annotated[Literal["feas"], Field(title="Instrument")]
    scores: Annotated[
        FEASScores | None,
        Field(
            description="computed by the server when the assessment is final; null while it is a draft"
        ),
    ]


class FEDCAssessment(BaseModel):
    """
    A Functional Emotional Developmental Capacity level (DIRFloortime).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    assessor_id: Annotated[UUID | None, Field(title="Assessor Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    status: Annotated[Literal["draft", "final"] | str, Field(title="Status")]
    items: Annotated[dict[str, Any], Field(title="Items")]
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"] | str], Field(title="Goal Dimensions")
    ]
    entered: Annotated[dict[str, Any], Field(title="Entered")]
    notes: Annotated[str | None, Field(title="Notes")]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]
    age: Annotated[AgePublic | None, Field(description="Ages on `performed_on`.")] = None
    instrument: Annotated[Literal["fedc"], Field(title="Instrument")]
    scores: Annotated[
        FEDCScores | None,
        Field(
            description="computed by the server when the assessment is final; null while it is a draft"
        ),
    ]


class GMFCSAssessment(BaseModel):
    """
    A GMFCS-E&R classification.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    assessor_id: Annotated[UUID | None, Field(title="Assessor Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    status: Annotated[Literal["draft", "final"] | str, Field(title="Status")]
    items: Annotated[dict[str, Any], Field(title="Items")]
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"] | str], Field(title="Goal Dimensions")
    ]
    entered: Annotated[dict[str, Any], Field(title="Entered")]
    notes: Annotated[str | None, Field(title="Notes")]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]
    age: Annotated[AgePublic | None, Field(description="Ages on `performed_on`.")] = None
    instrument: Annotated[Literal["gmfcs"], Field(title="Instrument")]
    scores: Annotated[
        GMFCSScores | None,
        Field(
            description="computed by the server when the assessment is final; null while it is a draft"
        ),
    ]


class GMFM66Assessment(BaseModel):
    """
    A GMFM-66 assessment.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    assessor_id: Annotated[UUID | None, Field(title="Assessor Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    status: Annotated[Literal["draft", "final"] | str, Field(title="Status")]
    items: Annotated[dict[str, Any], Field(title="Items")]
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"] | str], Field(title="Goal Dimensions")
    ]
    entered: Annotated[dict[str, Any], Field(title="Entered")]
    notes: Annotated[str | None, Field(title="Notes")]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]
    age: Annotated[AgePublic | None, Field(description="Ages on `performed_on`.")] = None
    instrument: Annotated[Literal["gmfm66"], Field(title="Instrument")]
    scores: Annotated[
        GMFM66Scores | None,
        Field(
            description="computed by the server when the assessment is final; null while it is a draft"
        ),
    ]


class GMFM88Assessment(BaseModel):
    """
    A GMFM-88 assessment.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    assessor_id: Annotated[UUID | None, Field(title="Assessor Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    status: Annotated[Literal["draft", "final"] | str, Field(title="Status")]
    items: Annotated[dict[str, Any], Field(title="Items")]
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"] | str], Field(title="Goal Dimensions")
    ]
    entered: Annotated[dict[str, Any], Field(title="Entered")]
    notes: Annotated[str | None, Field(title="Notes")]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]
    age: Annotated[AgePublic | None, Field(description="Ages on `performed_on`.")] = None
    instrument: Annotated[Literal["gmfm88"], Field(title="Instrument")]
    scores: Annotated[
        GMFM88Scores | None,
        Field(
            description="computed by the server when the assessment is final; null while it is a draft"
        ),
    ]


class HINESections(BaseModel):
    """
    Section scores.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    cranial_nerves: RawOfMax
    posture: RawOfMax
    movements: RawOfMax
    tone: RawOfMax
    reflexes_reactions: RawOfMax


class InstrumentScore(BaseModel):
    """
    One assessment's headline score (the one a progress chart shows).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    assessment_id: Annotated[UUID, Field(title="Assessment Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    measure: Annotated[
        str,
        Field(
            description="Which score `value` is, e.g. `total_percent`, `level`.", title="Measure"
        ),
    ]
    value: Annotated[float | None, Field(title="Value")]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]


class ItemAdherence(BaseModel):
    """
    Adherence to one prescription item.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    item_id: Annotated[UUID, Field(title="Item Id")]
    exercise_id: Annotated[UUID, Field(title="Exercise Id")]
    prescribed: Annotated[
        Dose | None, Field(description="Null when the item has no weekly schedule.")
    ]
    delivered: DeliveredDose
    percent: AdherencePercent


class MilestonePublic(BaseModel):
    """
    A milestone observation.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    milestone: Annotated[
        Literal[
            "sitting_without_support",
            "standing_with_assistance",
            "hands_and_knees_crawling",
            "walking_with_assistance",
            "standing_alone",
            "walking_alone",
            "head_control",
            "rolling",
            "four_point",
            "kneeling",
            "transitions",
            "stairs",
            "uneven_ground",
        ]
        | str,
        Field(title="Milestone"),
    ]
    achieved_on: Annotated[date | None, Field(title="Achieved On")]
    observed_on: Annotated[date | None, Field(title="Observed On")]
    support_needed: Annotated[
        Literal["none", "minimal", "moderate", "maximal"] | str | None,
        Field(title="Support Needed"),
    ]
    note: Annotated[str | None, Field(title="Note")]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]
    age: Annotated[
        AgePublic | None, Field(description="Ages on `achieved_on` (else `observed_on`).")
    ] = None


class MilestoneWindow(BaseModel):
    """
    One WHO milestone's window of achievement (WHO MGRS 2006, 1st-99th percentile).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    milestone: Annotated[
        Literal[
            "sitting_without_support",
            "standing_with_assistance",
            "hands_and_knees_crawling",
            "walking_with_assistance",
            "standing_alone",
            "walking_alone",
        ]
        | str,
        Field(title="Milestone"),
    ]
    window_from_months: Annotated[float, Field(title="Window From Months")]
    window_to_months: Annotated[float, Field(title="Window To Months")]
    status: Annotated[
        Literal[
            "not_yet_expected",
            "within_window",
            "late",
            "not_observed",
            "skipped",
            "achieved_early",
            "achieved_within",
            "achieved_late",
        ]
        | str,
        Field(
            description="On corrected age (when it applies). Not achieved: `not_yet_expected` before the 1st percentile, `within_window` up to the 99th, `late` past it; but a hands-and-knees crawl never seen past its window is `skipped` in a child who stands or walks alone and `not_observed` otherwise (about 4% of children never crawl), `late` only when the clinic setting `crawling_expected` is true. Achieved: `achieved_early|achieved_within|achieved_late` by the age on `achieved_on`.",
            title="Status",
        ),
    ]
    achieved_on: Annotated[date | None, Field(title="Achieved On")]
    age_months: Annotated[
        float,
        Field(
            description="Age (corrected when it applies), at achievement or now.",
            title="Age Months",
        ),
    ]
    rule: Annotated[
        str,
        Field(
            description="`who-mgrs-2006@2`: the WHO MGRS 2006 windows, rule version 2.",
            title="Rule",
        ),
    ]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]


class PDMSScores(BaseModel):
    """
    PDMS-2/PDMS-3 raw totals; standard scores and quotients as entered.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    rule: Annotated[Literal["pdms2@2nd-ed-r2", "pdms3@3rd-ed-r2"] | str, Field(title="Rule")]
    subtests: Annotated[dict[str, PDMSSubtest], Field(title="Subtests")]
    standard_scores: Annotated[dict[str, int] | None, Field(title="Standard Scores")]
    gmq: Annotated[int | None, Field(title="Gmq")]
    fmq: Annotated[int | None, Field(title="Fmq")]
    tmq: Annotated[int | None, Field(title="Tmq")]


class PageChildPublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[ChildPublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]


class PageMilestonePublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[MilestonePublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]


class PagePractitionerPublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[PractitionerPublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]


class PagePrescriptionPublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[PrescriptionPublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]


class PageVersionPublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[VersionPublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]


class PageWebhookDeliveryPublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[WebhookDeliveryPublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]


class PageWebhookEndpointPublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[WebhookEndpointPublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]


class PrescriptionCreate(BaseModel):
    """
    A new exercise program for a child (1 to 50 items, stored all or nothing).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    child_id: Annotated[UUID, Field(title="Child Id")]
    prescriber_id: Annotated[
        UUID, Field(description="The prescribing practitioner.", title="Prescriber Id")
    ]
    setting: Annotated[Literal["clinic", "home", "intensive"], Field(title="Setting")]
    status: Annotated[
        Literal["draft", "active"] | None,
        Field(description="A new program is draft or active.", title="Status"),
    ] = "draft"
    period_start: Annotated[date, Field(title="Period Start")]
    period_end: Annotated[
        date | None,
        Field(
            description="The program's last day (inclusive); on or after `period_start`.",
            title="Period End",
        ),
    ] = None
    goal: Annotated[Goal | None, Field(title="Goal")] = None
    block: Annotated[
        BlockPlan | None,
        Field(
            description="An intensive block's plan (`setting: intensive` only; 422 at `#/block` otherwise): its summary is `GET /v1/prescriptions/{id}/block-summary`."
        ),
    ] = None
    items: Annotated[
        list[PrescriptionItemCreate], Field(max_length=50, min_length=1, title="Items")
    ]


class PrescriptionCreateInChild(BaseModel):
    """
    A new exercise program for a child (1 to 50 items, stored all or nothing). The child is the one in the path.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    child_id: Annotated[
        UUID | None,
        Field(
            description="Optional: the child is the one in the path. Another child's id is 422 (`child_id_mismatch`).",
            title="Child Id",
        ),
    ] = None
    prescriber_id: Annotated[
        UUID, Field(description="The prescribing practitioner.", title="Prescriber Id")
    ]
    setting: Annotated[Literal["clinic", "home", "intensive"], Field(title="Setting")]
    status: Annotated[
        Literal["draft", "active"] | None,
        Field(description="A new program is draft or active.", title="Status"),
    ] = "draft"
    period_start: Annotated[date, Field(title="Period Start")]
    period_end: Annotated[
        date | None,
        Field(
            description="The program's last day (inclusive); on or after `period_start`.",
            title="Period End",
        ),
    ] = None
    goal: Annotated[Goal | None, Field(title="Goal")] = None
    block: Annotated[
        BlockPlan | None,
        Field(
            description="An intensive block's plan (`setting: intensive` only; 422 at `#/block` otherwise): its summary is `GET /v1/prescriptions/{id}/block-summary`."
        ),
    ] = None
    items: Annotated[
        list[PrescriptionItemCreate], Field(max_length=50, min_length=1, title="Items")
    ]


class SessionRecordCreate(BaseModel):
    """
    A session as it happened: send `duration_minutes` or `ended_at` (not both).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    child_id: Annotated[UUID, Field(title="Child Id")]
    practitioner_id: Annotated[
        UUID | None,
        Field(description="Required unless `type` is home_practice.", title="Practitioner Id"),
    ] = None
    type: Annotated[
        Literal["dmi", "dirfloortime", "parent_coaching", "evaluation", "home_practice"],
        Field(title="Type"),
    ]
    setting: Annotated[Literal["clinic", "home", "telehealth"], Field(title="Setting")]
    started_at: Annotated[
        AwareDatetime,
        Field(
            description="When the session started; with a UTC offset, at most 1 day ahead. Adherence counts the session on its local date in that offset.",
            title="Started At",
        ),
    ]
    duration_minutes: Annotated[DurationMinutes | None, Field(title="Duration Minutes")] = None
    ended_at: Annotated[AwareDatetime | None, Field(title="Ended At")] = None
    attendance: Annotated[
        Literal["attended", "cancelled", "no_show"] | None, Field(title="Attendance")
    ] = "attended"
    caregiver_present: Annotated[bool | None, Field(title="Caregiver Present")] = False
    exercises: Annotated[
        list[PerformedExercise] | None,
        Field(description="0 to 100, stored all or none.", max_length=100, title="Exercises"),
    ] = None
    notes: SoapNotes | None = None


class SessionRecordCreateInChild(BaseModel):
    """
    A session as it happened: send `duration_minutes` or `ended_at` (not both). The child is the one in the path.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    child_id: Annotated[
        UUID | None,
        Field(
            description="Optional: the child is the one in the path. Another child's id is 422 (`child_id_mismatch`).",
            title="Child Id",
        ),
    ] = None
    practitioner_id: Annotated[
        UUID | None,
        Field(description="Required unless `type` is home_practice.", title="Practitioner Id"),
    ] = None
    type: Annotated[
        Literal["dmi", "dirfloortime", "parent_coaching", "evaluation", "home_practice"],
        Field(title="Type"),
    ]
    setting: Annotated[Literal["clinic", "home", "telehealth"], Field(title="Setting")]
    started_at: Annotated[
        AwareDatetime,
        Field(
            description="When the session started; with a UTC offset, at most 1 day ahead. Adherence counts the session on its local date in that offset.",
            title="Started At",
        ),
    ]
    duration_minutes: Annotated[DurationMinutes | None, Field(title="Duration Minutes")] = None
    ended_at: Annotated[AwareDatetime | None, Field(title="Ended At")] = None
    attendance: Annotated[
        Literal["attended", "cancelled", "no_show"] | None, Field(title="Attendance")
    ] = "attended"
    caregiver_present: Annotated[bool | None, Field(title="Caregiver Present")] = False
    exercises: Annotated[
        list[PerformedExercise] | None,
        Field(description="0 to 100, stored all or none.", max_length=100, title="Exercises"),
    ] = None
    notes: SoapNotes | None = None


class SessionRecordPatch(BaseModel):
    """
    Changes to an unsigned record; `exercises` and `notes`, when sent, replace the old ones.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    practitioner_id: Annotated[UUID | None, Field(title="Practitioner Id")] = None
    type: Annotated[
        Literal["dmi", "dirfloortime", "parent_coaching", "evaluation", "home_practice"] | None,
        Field(title="Type"),
    ] = None
    setting: Annotated[Literal["clinic", "home", "telehealth"] | None, Field(title="Setting")] = (
        None
    )
    started_at: Annotated[
        AwareDatetime | None,
        Field(
            description="When the session started; with a UTC offset, at most 1 day ahead. Adherence counts the session on its local date in that offset.",
            title="Started At",
        ),
    ] = None
    duration_minutes: Annotated[
        int | None, Field(description="Minutes, 1 to 720.", ge=1, le=720, title="Duration Minutes")
    ] = None
    ended_at: Annotated[AwareDatetime | None, Field(title="Ended At")] = None
    attendance: Annotated[
        Literal["attended", "cancelled", "no_show"] | None, Field(title="Attendance")
    ] = None
    caregiver_present: Annotated[bool | None, Field(title="Caregiver Present")] = None
    exercises: Annotated[
        list[PerformedExercise] | None, Field(max_length=100, title="Exercises")
    ] = None
    notes: SoapNotes | None = None


class SessionRecordPublic(BaseModel):
    """
    A session record; when signed, the fields are as signed and `amendments` add to them.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    practitioner_id: Annotated[UUID | None, Field(title="Practitioner Id")]
    type: Annotated[
        Literal["dmi", "dirfloortime", "parent_coaching", "evaluation", "home_practice"] | str,
        Field(title="Type"),
    ]
    setting: Annotated[Literal["clinic", "home", "telehealth"] | str, Field(title="Setting")]
    started_at: Annotated[AwareDatetime, Field(title="Started At")]
    ended_at: Annotated[
        AwareDatetime, Field(description="`started_at` + `duration_minutes`.", title="Ended At")
    ]
    duration_minutes: Annotated[int, Field(title="Duration Minutes")]
    attendance: Annotated[
        Literal["attended", "cancelled", "no_show"] | str, Field(title="Attendance")
    ]
    caregiver_present: Annotated[bool, Field(title="Caregiver Present")]
    exercises: Annotated[list[PerformedExercisePublic], Field(title="Exercises")]
    notes: SoapNotesPublic
    signed_at: Annotated[AwareDatetime | None, Field(title="Signed At")]
    signed_by: Annotated[UUID | None, Field(title="Signed By")]
    amendments: Annotated[
        list[AmendmentPublic], Field(description="Oldest first.", title="Amendments")
    ]


class SupportProgression(BaseModel):
    """
    A child's DMI support-point progression over a period: per exercise and per category.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    child_id: Annotated[UUID, Field(title="Child Id")]
    period_from: Annotated[date, Field(title="Period From")]
    period_to: Annotated[
        date, Field(description="Exclusive, like every `to` of this API.", title="Period To")
    ]
    exercises: Annotated[list[ExerciseProgression], Field(title="Exercises")]
    categories: Annotated[list[CategoryProgression], Field(title="Categories")]


class AIMSAssessment(BaseModel):
    """
    An AIMS assessment.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    assessor_id: Annotated[UUID | None, Field(title="Assessor Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    status: Annotated[Literal["draft", "final"] | str, Field(title="Status")]
    items: Annotated[dict[str, Any], Field(title="Items")]
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"] | str], Field(title="Goal Dimensions")
    ]
    entered: Annotated[dict[str, Any], Field(title="Entered")]
    notes: Annotated[str | None, Field(title="Notes")]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]
    age: Annotated[AgePublic | None, Field(description="Ages on `performed_on`.")] = None
    instrument: Annotated[Literal["aims"], Field(title="Instrument")]
    scores: Annotated[
        AIMSScores | None,
        Field(
            description="computed by the server when the assessment is final; null while it is a draft"
        ),
    ]


class AdherenceReport(BaseModel):
    """
    Prescribed dose against the dose recorded in session records and home practice.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    prescription_id: Annotated[UUID, Field(title="Prescription Id")]
    status: Annotated[str, Field(title="Status")]
    rule: Annotated[str, Field(title="Rule")]
    window: AdherenceWindow
    active_days: Annotated[
        int,
        Field(description="Days of the window in the period and not paused.", title="Active Days"),
    ]
    paused_days: Annotated[int, Field(title="Paused Days")]
    items: Annotated[list[ItemAdherence], Field(title="Items")]
    overall: OverallAdherence


class BatchResult(BaseModel):
    """
    What became of one item, in the order sent.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    index: Annotated[
        int, Field(description="the item's position in `items` (from 0)", title="Index")
    ]
    status: Annotated[
        int,
        Field(description="201 created (or replayed), else the refusal's status", title="Status"),
    ]
    replayed: Annotated[
        bool,
        Field(description="true when the key had already created this record", title="Replayed"),
    ]
    id: Annotated[UUID | None, Field(title="Id")]
    version: Annotated[int | None, Field(title="Version")]
    record: Annotated[
        SessionRecordPublic | None, Field(description="the record, when created or replayed")
    ]
    problem: Annotated[
        dict[str, Any] | None,
        Field(
            description="the refusal as an RFC 9457 problem (`type`, `title`, `status`, `detail`, `code`, and `errors` pointing into the batch: `#/items/3/record/...`)",
            title="Problem",
        ),
    ]


class EventPage(BaseModel):
    """
    A page of the feed. `next_cursor` is always given: the position after this page, to
    poll from later even when the page is empty.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[EventPublic], Field(title="Data")]
    next_cursor: Annotated[
        str, Field(max_length=200, min_length=40, pattern="^[A-Za-z0-9_-]+$", title="Next Cursor")
    ]
    has_more: Annotated[
        bool,
        Field(description="true when more events were ready than this page held", title="Has More"),
    ]


class HINEScores(BaseModel):
    """
    HINE section and global scores.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    rule: Annotated[Literal["hine@haataja-1999"] | str, Field(title="Rule")]
    sections: HINESections
    global_: Annotated[int, Field(alias="global", ge=0, title="Global")]
    max: Annotated[int, Field(ge=0, title="Max")]
    items_tested: Annotated[int, Field(ge=0, title="Items Tested")]
    optimality: HINEOptimality | None


class InstrumentProgress(BaseModel):
    """
    The latest and previous final assessment of one instrument in the period.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    instrument: Annotated[str, Field(title="Instrument")]
    latest: InstrumentScore
    previous: InstrumentScore | None
    change: Annotated[
        float | None,
        Field(description="latest - previous, when both have a value.", title="Change"),
    ]


class PDMSAssessment(BaseModel):
    """
    A PDMS-2 or PDMS-3 assessment.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    assessor_id: Annotated[UUID | None, Field(title="Assessor Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    status: Annotated[Literal["draft", "final"] | str, Field(title="Status")]
    items: Annotated[dict[str, Any], Field(title="Items")]
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"] | str], Field(title="Goal Dimensions")
    ]
    entered: Annotated[dict[str, Any], Field(title="Entered")]
    notes: Annotated[str | None, Field(title="Notes")]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]
    age: Annotated[AgePublic | None, Field(description="Ages on `performed_on`.")] = None
    instrument: Annotated[Literal["pdms2", "pdms3"], Field(title="Instrument")]
    scores: Annotated[
        PDMSScores | None,
        Field(
            description="computed by the server when the assessment is final; null while it is a draft"
        ),
    ]


class PageSessionRecordPublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[SessionRecordPublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]


class ProgressReport(BaseModel):
    """
    What a therapist and a parent look at: scores, milestones, dose and sessions.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    child_id: Annotated[UUID, Field(title="Child Id")]
    period_from: Annotated[date, Field(title="Period From")]
    period_to: Annotated[
        date, Field(description="Exclusive, like every `to` of this API.", title="Period To")
    ]
    age: Annotated[AgePublic | None, Field(description="Ages on the last day of the period.")]
    instruments: Annotated[list[InstrumentProgress], Field(title="Instruments")]
    gmfm88_series: Annotated[list[GmfmPoint], Field(title="Gmfm88 Series")]
    milestones: Annotated[list[MilestoneWindow], Field(title="Milestones")]
    adherence: Annotated[
        list[AdherenceReport],
        Field(description="Each active or paused prescription.", title="Adherence"),
    ]
    sessions: Annotated[list[SessionTotals], Field(title="Sessions")]
    support_points: Annotated[list[ExerciseProgression], Field(title="Support Points")]
    support_point_categories: Annotated[
        list[CategoryProgression], Field(title="Support Point Categories")
    ]
    dirfloortime: DirFloortime
    intensive_blocks: Annotated[
        list[BlockSummary],
        Field(
            description="the intensive blocks that ran in the period, completed ones included",
            title="Intensive Blocks",
        ),
    ]


class BatchResponse(BaseModel):
    """
    One result per item.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    results: Annotated[list[BatchResult], Field(title="Results")]


class HINEAssessment(BaseModel):
    """
    A HINE assessment.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[UUID, Field(title="Id")]
    version: Annotated[int, Field(title="Version")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]
    deleted_at: Annotated[AwareDatetime | None, Field(title="Deleted At")] = None
    child_id: Annotated[UUID, Field(title="Child Id")]
    assessor_id: Annotated[UUID | None, Field(title="Assessor Id")]
    performed_on: Annotated[date, Field(title="Performed On")]
    status: Annotated[Literal["draft", "final"] | str, Field(title="Status")]
    items: Annotated[dict[str, Any], Field(title="Items")]
    goal_dimensions: Annotated[
        list[Literal["A", "B", "C", "D", "E"] | str], Field(title="Goal Dimensions")
    ]
    entered: Annotated[dict[str, Any], Field(title="Entered")]
    notes: Annotated[str | None, Field(title="Notes")]
    warnings: Annotated[
        list[RecordWarning],
        Field(
            description="What the clinician should look at again (rule `record-warnings@1`): the record is accepted and scored as it is; the clinician decides. Kept current when the child, the clinic's rules or the child's walking milestone change.",
            title="Warnings",
        ),
    ]
    age: Annotated[AgePublic | None, Field(description="Ages on `performed_on`.")] = None
    instrument: Annotated[Literal["hine"], Field(title="Instrument")]
    scores: Annotated[
        HINEScores | None,
        Field(
            description="computed by the server when the assessment is final; null while it is a draft"
        ),
    ]


AssessmentPublic = TypeAliasType(
    "AssessmentPublic",
    Annotated[
        GMFM88Assessment
        | GMFM66Assessment
        | AIMSAssessment
        | HINEAssessment
        | PDMSAssessment
        | GMFCSAssessment
        | FEASAssessment
        | FEDCAssessment
        | UnscoredAssessment,
        Field(discriminator="instrument"),
    ],
)


class PageAssessmentPublic(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    data: Annotated[list[AssessmentPublic], Field(title="Data")]
    next_cursor: Annotated[
        NextCursor1 | None,
        Field(
            description="where the next page starts (send it as `cursor`); null on the last page",
            title="Next Cursor",
        ),
    ]
