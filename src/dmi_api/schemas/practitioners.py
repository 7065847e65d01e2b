"""Practitioners (therapists) as the API shows and accepts them."""

from __future__ import annotations

from typing import Literal

from pydantic import StrictBool

from dmi_api.schemas.base import ExternalId, RequestModel, ResourceMeta, ShortText, with_examples
from dmi_api.schemas.patch import PatchModel

Discipline = Literal["PT", "OT", "SLP", "other"]
REQUIRED = frozenset({"name", "discipline", "active"})


class PractitionerCreate(RequestModel):
    """A new practitioner."""

    model_config = with_examples(
        {
            "name": "Ana Ruiz",
            "discipline": "PT",
            "credentials": "DPT",
            "external_id": "P-77",
        }
    )

    name: ShortText
    discipline: Discipline
    credentials: ShortText | None = None
    external_id: ExternalId | None = None
    active: StrictBool = True


class PractitionerPatch(PatchModel):
    """Changes to a practitioner: only the fields sent are changed."""

    NOT_NULL = REQUIRED

    model_config = with_examples({"active": False})

    name: ShortText | None = None
    discipline: Discipline | None = None
    credentials: ShortText | None = None
    external_id: ExternalId | None = None
    active: StrictBool | None = None


class PractitionerPublic(ResourceMeta):
    """A practitioner."""

    name: str
    discipline: Discipline
    credentials: str | None
    external_id: str | None
    active: StrictBool
