"""Bulk export through the served app and `dmi-api worker`: kick off, poll as `Retry-After`
says, download every file to disk; each line is the resource as its GET returns it. Also the
FHIR `$export` and the async client."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from dmi_api_client import AsyncDmiClient, DmiClient, models


def _made_since(dmi: DmiClient, count: int) -> tuple[datetime, list[models.ChildPublic]]:
    since = datetime.now(UTC)
    family = f"X{uuid.uuid4().hex[:8]}"
    made = [
        dmi.children.create(
            {
                "given_name": f"E{i}",
                "family_name": family,
                "birth_date": "2022-06-01",
                "sex": "female",
            }
        )
        for i in range(count)
    ]
    return since, made


def _lines(path: Path | None) -> list[dict[str, object]]:
    assert path is not None
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_export_downloads_what_changed_since(dmi: DmiClient, out_dir: Path) -> None:
    since, made = _made_since(dmi, 3)
    export, files = dmi.exports.run(out_dir, resources=["children"], since=since)
    assert export.status == "completed"
    assert export.transaction_time is not None
    [children] = [f for f in files if not f.deleted]
    assert children.path is not None
    assert children.path.parent == out_dir
    rows = [models.ChildPublic.model_validate(r) for r in _lines(children.path)]
    assert {r.id for r in rows} == {c.id for c in made}
    assert children.count == len(rows)
    assert not list(out_dir.glob("*.part"))


async def test_async_export_and_fhir_export(
    admi: AsyncDmiClient, dmi: DmiClient, out_dir: Path
) -> None:
    since, made = _made_since(dmi, 2)
    _export, files = await admi.exports.run(out_dir / "v1", resources=["children"], since=since)
    assert {r["id"] for f in files for r in _lines(f.path)} == {str(c.id) for c in made}
    manifest, fhir_files = await admi.exports.fhir(out_dir / "fhir", types=["Patient"], since=since)
    assert manifest["requiresAccessToken"] is True
    patients = [r for f in fhir_files for r in _lines(f.path)]
    assert {p["id"] for p in patients} == {str(c.id) for c in made}
    assert all(p["resourceType"] == "Patient" for p in patients)
