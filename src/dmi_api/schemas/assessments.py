"""Assessments (standardized instruments and DMI evaluations) as the API shows and accepts them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, GetJsonSchemaHandler, TypeAdapter, create_model
from pydantic.config import JsonDict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from dmi_api.schemas.ages import AgePublic
from dmi_api.schemas.assessment_scores import (
    AIMSScores,
    FEASScores,
    FEDCScores,
    GMFCSScores,
    GMFM66Scores,
    GMFM88Scores,
    HINEScores,
    PDMSScores,
)
from dmi_api.schemas.base import IsoDate, LongText, RequestModel, ResourceMeta, with_examples
from dmi_api.schemas.clinical_dates import PastDate
from dmi_api.schemas.instruments import MAX_ITEMS, GoalDimension, Instrument
from dmi_api.schemas.patch import PatchModel
from dmi_api.schemas.record_warnings import WARNINGS_DOC, RecordWarning

Status = Literal["draft", "final"]
REQUIRED = frozenset({"performed_on", "status", "items", "goal_dimensions", "entered"})

ITEMS_DOC = (
    "Item id → score, at most 300. gmfm88/gmfm66: ids '1'..'88', scores 0-3 or 'NT'; aims: "
    "'prone-1'..'prone-21', 'supine-1'..'supine-9', 'sitting-1'..'sitting-12', "
    "'standing-1'..'standing-16', scores 0/1; hine: '1'..'26', 0-3; pdms2: '<subtest>-<n>' "
    "(reflexes 8, stationary 30, locomotion 89, object_manipulation 24, grasping 26, "
    "visual_motor_integration 72), 0/1/2; pdms3: '<subtest>-<n>' (body_control, body_transport, "
    "object_control, hand_manipulation, eye_hand_coordination, physical_fitness; n 1-60), 0/1/2; "
    "gmfcs: none; feas: '1'..'60', 0/1/2; dmi_evaluation and custom: ids of 1-64 characters "
    "[A-Za-z0-9._-], a number 0-100 or text of 1-50 characters. A bad id or score is 422 at "
    "`#/items/<id>`. Item wording is never stored."
)
ENTERED_DOC = (
    "Values entered by the clinician from licensed tables or other software. gmfm66: "
    "gmae_score 0-100, standard_error ≥ 0, ci95_low ≤ gmae_score ≤ ci95_high; pdms2/pdms3: "
    "standard_scores {subtest: 1-20}, gmq/fmq/tmq 35-165; gmfcs: level 1-5 or 'I'..'V' (stored "
    "1-5; required when final); aims: percentile 0-100; dmi_evaluation/custom: like items; "
    "gmfm88, hine, feas: none."
)
GOALS_DOC = "GMFM goal dimensions (A-E, each once); gmfm88 and gmfm66 only."
PERFORMED_DOC = "Not before the child's birth, not in the future."
STATUS_DOC = "draft → final; a final assessment never returns to draft (422 at `#/status`)."

_EXAMPLE: JsonDict = {
    "child_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "assessor_id": "16fd2706-8baf-433b-82eb-8c7fada847da",
    "instrument": "gmfm88",
    "performed_on": "2025-03-04",
    "status": "final",
    "items": {"1": 3, "2": 2, "18": 1, "52": "NT"},
    "goal_dimensions": ["B", "C"],
    "notes": "Tested on the floor mat.",
}


class AssessmentCreate(RequestModel):
    """A new assessment; items and entered values are checked against the instrument."""

    model_config = with_examples(
        _EXAMPLE,
        {
            "child_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "instrument": "gmfcs",
            "performed_on": "2025-03-04",
            "status": "final",
            "entered": {"level": "III"},
        },
    )

    child_id: uuid.UUID
    assessor_id: uuid.UUID | None = Field(default=None, description="A practitioner, optional.")
    instrument: Instrument
    performed_on: PastDate = Field(description=PERFORMED_DOC)
    status: Status = Field(default="draft", description=STATUS_DOC)
    items: dict[str, Any] = Field(default_factory=dict, max_length=MAX_ITEMS, description=ITEMS_DOC)
    goal_dimensions: list[GoalDimension] = Field(
        default_factory=list, max_length=5, description=GOALS_DOC
    )
    entered: dict[str, Any] = Field(default_factory=dict, max_length=50, description=ENTERED_DOC)
    notes: LongText | None = None


class AssessmentPatch(PatchModel):
    """Changes to an assessment; `items`, `entered` and `goal_dimensions` replace the old ones."""

    NOT_NULL = REQUIRED

    model_config = with_examples({"status": "final", "items": {"1": 3, "2": 3}})

    assessor_id: uuid.UUID | None = None
    performed_on: PastDate | None = Field(default=None, description=PERFORMED_DOC)
    status: Status | None = Field(default=None, description=STATUS_DOC)
    items: dict[str, Any] | None = Field(default=None, max_length=MAX_ITEMS, description=ITEMS_DOC)
    goal_dimensions: list[GoalDimension] | None = Field(
        default=None, max_length=5, description=GOALS_DOC
    )
    entered: dict[str, Any] | None = Field(default=None, max_length=50, description=ENTERED_DOC)
    notes: LongText | None = None


class _AssessmentView(ResourceMeta):
    """The fields every assessment shows, whatever its instrument."""

    child_id: uuid.UUID
    assessor_id: uuid.UUID | None
    performed_on: IsoDate
    status: Status
    items: dict[str, Any]
    goal_dimensions: list[GoalDimension]
    entered: dict[str, Any]
    notes: str | None
    warnings: list[RecordWarning] = Field(description=WARNINGS_DOC)
    age: AgePublic | None = Field(default=None, description="Ages on `performed_on`.")


_SCORES_DOC = "computed by the server when the assessment is final; null while it is a draft"


def _scored_view(name: str, doc: str, instrument: Any, scores: type[BaseModel]) -> type[BaseModel]:
    """The view of the instruments with a scoring rule: `scores` typed by the instrument."""
    optional: Any = scores | None
    return create_model(
        name,
        __base__=_AssessmentView,
        __doc__=doc,
        __module__=__name__,
        instrument=(instrument, ...),
        scores=(optional, Field(description=_SCORES_DOC)),
    )


_SCORED_VIEWS = (
    _scored_view("GMFM88Assessment", "A GMFM-88 assessment.", Literal["gmfm88"], GMFM88Scores),
    _scored_view("GMFM66Assessment", "A GMFM-66 assessment.", Literal["gmfm66"], GMFM66Scores),
    _scored_view("AIMSAssessment", "An AIMS assessment.", Literal["aims"], AIMSScores),
    _scored_view("HINEAssessment", "A HINE assessment.", Literal["hine"], HINEScores),
    _scored_view(
        "PDMSAssessment", "A PDMS-2 or PDMS-3 assessment.", Literal["pdms2", "pdms3"], PDMSScores
    ),
    _scored_view("GMFCSAssessment", "A GMFCS-E&R classification.", Literal["gmfcs"], GMFCSScores),
    _scored_view("FEASAssessment", "A FEAS assessment.", Literal["feas"], FEASScores),
    _scored_view(
        "FEDCAssessment",
        "A Functional Emotional Developmental Capacity level (DIRFloortime).",
        Literal["fedc"],
        FEDCScores,
    ),
)


class UnscoredAssessment(_AssessmentView):
    """A DMI evaluation or a custom assessment: no scoring rule, `scores` is always null."""

    instrument: Literal["dmi_evaluation", "custom"]
    scores: None


# Documented as one view per instrument, told apart by `instrument`.
_BY_INSTRUMENT: Any = Union[(*_SCORED_VIEWS, UnscoredAssessment)]
_DOCUMENTED: TypeAdapter[Any] = TypeAdapter(
    Annotated[_BY_INSTRUMENT, Field(discriminator="instrument")]
)


class AssessmentPublic(ResourceMeta):
    """An assessment; `scores` are computed by the server (null until scoring exists).

    Built as one model; documented as the union of the instruments' views
    (`_DOCUMENTED`), each with its own `scores` type.
    """

    child_id: uuid.UUID
    assessor_id: uuid.UUID | None
    instrument: Instrument
    performed_on: IsoDate
    status: Status
    items: dict[str, Any]
    goal_dimensions: list[GoalDimension]
    entered: dict[str, Any]
    scores: dict[str, Any] | None
    notes: str | None
    warnings: list[RecordWarning] = Field(description=WARNINGS_DOC)
    age: AgePublic | None = Field(default=None, description="Ages on `performed_on`.")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The documented union instead of this model's loose `scores`."""
        return handler(_DOCUMENTED.core_schema)
