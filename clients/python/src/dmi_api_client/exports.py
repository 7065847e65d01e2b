"""Bulk export without I/O: the kick-off requests (`POST /v1/exports`, FHIR `$export`), what a
status answer means (wait how long, done, failed) and where each file goes on disk."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from dmi_api_client import models
from dmi_api_client.errors import ExportFailedError
from dmi_api_client.requests import ApiRequest, encode_params, get, post, segment
from dmi_api_client.retry import parse_retry_after

EXPORTS = "/v1/exports"
FHIR_ACCEPT = "application/fhir+json"
DEFAULT_POLL_SECONDS = 2.0
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def kick_off(resources: Sequence[str] | None, since: datetime | None) -> ApiRequest:
    """`POST /v1/exports` (a resend after a broken connection could start a second export, so
    only 429/503 are retried)."""
    body = models.ExportCreate.model_validate({"resources": resources, "since": since})
    return post(EXPORTS, body, keyed=False, retry_safe=False)


def status(export_id: str) -> ApiRequest:
    """`GET /v1/exports/{id}`: 202 while it runs, 200 when done or failed."""
    return get(f"{EXPORTS}/{segment(export_id)}")


def cancel(export_id: str) -> ApiRequest:
    """`DELETE /v1/exports/{id}`: cancel it, or delete its files now."""
    return ApiRequest("DELETE", f"{EXPORTS}/{segment(export_id)}")


def fhir_kick_off(
    types: Sequence[str] | None, since: datetime | None, *, patient_level: bool = False
) -> ApiRequest:
    """FHIR Bulk Data `$export` (system level, or `Patient/$export`), asynchronous."""
    params = encode_params({"_type": ",".join(types) if types else None, "_since": since})
    path = "/fhir/R4/Patient/$export" if patient_level else "/fhir/R4/$export"
    headers = {"Accept": FHIR_ACCEPT, "Prefer": "respond-async"}
    return ApiRequest("GET", path, params, headers=headers)


def fhir_status(status_path: str) -> ApiRequest:
    """A poll of a FHIR export's status URL (as a path on the client's base URL)."""
    return ApiRequest("GET", status_path, headers={"Accept": FHIR_ACCEPT})


def wait_seconds(response: httpx.Response) -> float:
    """How long to wait before polling again (the answer's `Retry-After`, else 2 s)."""
    asked = parse_retry_after(response.headers.get("retry-after"))
    return DEFAULT_POLL_SECONDS if asked is None else max(asked, 0.1)


def finished(export: models.ExportPublic) -> bool:
    """True once completed; ExportFailedError when it failed."""
    if export.status == "failed":
        raise ExportFailedError(f"export {export.id} failed: {export.progress or 'no detail'}")
    return export.status == "completed"


@dataclass(frozen=True)
class ExportedFile:
    """A file of an export: its resource type, URL, line count and, once downloaded, path."""

    type: str
    url: str
    count: int
    path: Path | None = None
    deleted: bool = False


def manifest_files(manifest: Mapping[str, Any]) -> list[ExportedFile]:
    """The files of a finished export (`/v1` status or FHIR manifest): output, then deleted."""
    files = [
        ExportedFile(f["type"], f["url"], int(f.get("count", 0)))
        for f in manifest.get("output") or []
    ]
    files += [
        ExportedFile(f["type"], f["url"], int(f.get("count", 0)), deleted=True)
        for f in manifest.get("deleted") or []
    ]
    return files


def file_name(file: ExportedFile, index: int) -> str:
    """A safe local name: the URL's own last segment when it is a plain file name."""
    name = urlsplit(file.url).path.rsplit("/", 1)[-1]
    if not _SAFE_NAME.match(name) or name in (".", ".."):
        name = f"{file.type}-{index}.ndjson"
    if file.deleted and not name.startswith("deleted"):
        name = f"deleted-{name}"
    return name
