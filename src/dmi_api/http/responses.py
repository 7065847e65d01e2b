"""JSON responses rendered with orjson (several times faster than the standard library)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse

from dmi_api.models.columns import json_default


class FastJSONResponse(JSONResponse):
    """`application/json` rendered by orjson; content is JSON-ready (dicts, lists, scalars)."""

    def render(self, content: Any) -> bytes:
        """Serialize (UUIDs, dates and UTC times as pydantic writes them: `...Z`)."""
        return orjson.dumps(content, default=json_default, option=orjson.OPT_UTC_Z)
