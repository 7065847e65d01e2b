"""Exercises of the clinic's own library as the API shows and accepts them."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StringConstraints
from pydantic.config import JsonDict

from dmi_api.schemas.base import RequestModel, ResourceMeta, ShortText, with_examples
from dmi_api.schemas.patch import PatchModel

Category = Literal[
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
Surface = Literal["table", "floor", "equipment"]
# Less support is a harder exercise: the hold moves from the trunk towards the ankles.
SupportPoint = Literal["trunk", "pelvis", "thighs", "knees", "ankles", "hands", "other"]
REQUIRED = frozenset(
    {
        "code",
        "name",
        "category",
        "surface",
        "default_support_point",
        "undesired_responses",
        "active",
    }
)

ExerciseCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9._\-]+$"),
    Field(description="The clinic's unique code: 1 to 50 characters of A-Z a-z 0-9 . _ -"),
]
ResponseText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Level = Annotated[
    StrictInt, Field(ge=1, le=10, description="Progression level, 1 (easiest) to 10.")
]


def _https_only(value: str) -> str:
    parts = urlsplit(value)
    # Media are shown to caregivers in apps: plain http or other schemes are refused.
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("Must be an absolute https:// URL.")
    return value


# What `_https_only` accepts, as a pattern the OpenAPI document can state: a host name of
# letters, digits, dots and hyphens, an optional port, then printable ASCII without spaces.
MEDIA_URL_PATTERN = r"^https://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?([/?#][!-~]*)?$"
MediaUrl = Annotated[
    str,
    StringConstraints(max_length=2000, pattern=MEDIA_URL_PATTERN),
    AfterValidator(_https_only),
    Field(description="A video or picture of the exercise: an https:// URL of at most 2000."),
]
UndesiredResponses = Annotated[
    list[ResponseText],
    Field(max_length=20, description="Typical undesired responses: at most 20, each ≤ 500."),
]
DesiredResponse = Annotated[
    str,
    StringConstraints(max_length=2000),
    Field(description="The automatic response sought (≤ 2000 characters)."),
]

_EXAMPLE: JsonDict = {
    "code": "SIT-PELVIS-01",
    "name": "Tilted sitting on a wedge, hold at pelvis",
    "category": "sitting",
    "start_position": "Sitting across the therapist's knees",
    "surface": "table",
    "default_support_point": "pelvis",
    "desired_response": "The child brings the head back to midline.",
    "undesired_responses": ["Leans on the arms", "Arches the back"],
    "progression_level": 3,
    "media_url": "https://media.example.org/library/sit-pelvis-01.mp4",
}


class ExerciseCreate(RequestModel):
    """A new exercise of the clinic's library."""

    model_config = with_examples(_EXAMPLE)

    code: ExerciseCode
    name: ShortText
    category: Category
    start_position: ShortText | None = None
    surface: Surface
    default_support_point: SupportPoint
    desired_response: DesiredResponse | None = None
    undesired_responses: UndesiredResponses = Field(default_factory=list)
    progression_level: Level | None = None
    media_url: MediaUrl | None = None
    active: StrictBool = True


class ExercisePatch(PatchModel):
    """Changes to an exercise: only the fields sent are changed."""

    NOT_NULL = REQUIRED

    model_config = with_examples({"progression_level": 4, "default_support_point": "knees"})

    code: ExerciseCode | None = None
    name: ShortText | None = None
    category: Category | None = None
    start_position: ShortText | None = None
    surface: Surface | None = None
    default_support_point: SupportPoint | None = None
    desired_response: DesiredResponse | None = None
    undesired_responses: UndesiredResponses | None = None
    progression_level: Level | None = None
    media_url: MediaUrl | None = None
    active: StrictBool | None = None


class ExercisePublic(ResourceMeta):
    """An exercise of the clinic's library."""

    code: str
    name: str
    category: Category
    start_position: str | None
    surface: Surface
    default_support_point: SupportPoint
    desired_response: str | None
    undesired_responses: list[str]
    progression_level: int | None
    media_url: str | None
    active: StrictBool
