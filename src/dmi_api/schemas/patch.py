"""PATCH bodies: an omitted field stays as it is, `null` clears it where clearing is allowed."""

from __future__ import annotations

from typing import ClassVar

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from dmi_api.schemas.base import RequestModel

_NULL = {"type": "null"}


class PatchModel(RequestModel):
    """A PATCH body whose `NOT_NULL` fields may be changed but not cleared (422 for `null`).

    The fields are typed `X | None` so that "omitted" is expressible; the OpenAPI document
    drops `null` from the `NOT_NULL` ones, so that it says what the server enforces.
    """

    NOT_NULL: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The model's schema without `null` for the fields that cannot be cleared."""
        schema = handler(core_schema)
        properties = handler.resolve_ref_schema(schema).get("properties", {})
        for name in cls.NOT_NULL:
            field = properties.get(name, {})
            branches = [b for b in field.get("anyOf", []) if b != _NULL]
            if len(branches) == 1 and len(field["anyOf"]) == 2:
                del field["anyOf"]
                field.pop("default", None)
                field.update(branches[0])
            elif branches:
                field["anyOf"] = branches
        return schema
