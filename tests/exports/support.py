"""Bulk export helpers: kick-off, the job run in this process (on the test's transaction), and
NDJSON downloads."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import orjson
from fastapi import FastAPI

from dmi_api.config import Settings
from dmi_api.direct.export_rows import stream_rows
from dmi_api.services.export_runner import ExportRun

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


async def run_export(app: FastAPI, clinic_id: uuid.UUID, location: str, **settings: Any) -> str:
    """Run the export at `location` as its job would (the test's transaction is the snapshot);
    its final status."""
    export_id = uuid.UUID(location.rstrip("/").rsplit("/", 1)[1])
    own: Settings = app.state.settings.model_copy(update=settings)
    run = ExportRun(
        app.state.sessionmaker,
        own,
        clinic_id,
        export_id,
        snapshot=False,
        in_flight_margin=timedelta(0),
        # PostgreSQL's workers read with the driver's cursor (the session's stream elsewhere).
        reader=None if own.is_sqlite else stream_rows,
    )
    return await run.run()


def relative(url: str) -> str:
    """A URL of the app under test as the in-process client asks for it."""
    return url.removeprefix("http://testserver")


async def lines(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    """The resources of one NDJSON file."""
    response = await client.get(relative(url), headers=headers)
    assert response.status_code == 200, response.text
    return [orjson.loads(line) for line in response.content.splitlines()]
