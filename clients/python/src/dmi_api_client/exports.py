"""Bulk export without I/O: the kick-off requests (`POST /v1/exports`, FHIR `$export`), what a
status answer means (wait how long, done, failed), where each file goes on disk, and how a
download cut short is resumed and told from a complete one."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from dmi_api_client import models
from dmi_api_client.errors import ExportFailedError
from dmi_api_client.requests import ApiRequest, encode_params, get, post, segment
from dmi_api_client.retry import RetryPolicy, parse_retry_after

EXPORTS = "/v1/exports"
FHIR_ACCEPT = "application/fhir+json"
DEFAULT_POLL_SECONDS = 2.0
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def kick_off(
    resources: Sequence[str] | None, since: datetime | None, idempotency_key: str | None = None
) -> ApiRequest:
    """`POST /v1/exports` with an `Idempotency-Key` (a new one unless given): resent after its
    answer was lost, it is told of the export it started (not 429 for its own export)."""
    body = models.ExportCreate.model_validate({"resources": resources, "since": since})
    return post(EXPORTS, body, idempotency_key=idempotency_key)


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
    # Whether the manifest gave `count` (optional in the Bulk Data manifest): the download is
    # then checked to hold that many lines.
    counted: bool = field(default=True, repr=False)


def manifest_files(manifest: Mapping[str, Any]) -> list[ExportedFile]:
    """The files of a finished export (`/v1` status or FHIR manifest): output, then deleted."""
    return [
        ExportedFile(
            f["type"], f["url"], int(f.get("count", 0)), deleted=deleted, counted="count" in f
        )
        for key, deleted in (("output", False), ("deleted", True))
        for f in manifest.get(key) or []
    ]


def file_name(file: ExportedFile, index: int) -> str:
    """A safe local name: the URL's own last segment when it is a plain file name."""
    name = urlsplit(file.url).path.rsplit("/", 1)[-1]
    if not _SAFE_NAME.match(name) or name in (".", ".."):
        name = f"{file.type}-{index}.ndjson"
    if file.deleted and not name.startswith("deleted"):
        name = f"deleted-{name}"
    return name


class Download:
    """One file's download across its attempts: what was received so far (bytes, lines), the
    `Range` that resumes it after a cut, and whether it is complete.

    A cut is not always an error on the wire: a proxy may end a body by closing the connection
    (no `Content-Length`), and then only the manifest's line count tells a short file from a
    whole one. Every line of an export ends with a newline.
    """

    def __init__(self, file: ExportedFile) -> None:
        self.file = file
        self.received = 0
        self.lines = 0
        self._last = b""
        self._validator: str | None = None

    def headers(self) -> dict[str, str]:
        """The next attempt's headers: `Range` from where the last one broke off, if the file
        can be resumed (a strong validator, so that a changed file is sent whole)."""
        headers = {"Accept": "*/*"}
        if self.received and self._validator:
            headers["Range"] = f"bytes={self.received}-"
            headers["If-Range"] = self._validator
        return headers

    def start(self, response: httpx.Response) -> bool:
        """Take an attempt's answer; True when it continues what was received, False when it is
        the whole file again (what was received must be discarded)."""
        offset = self.received
        resumed = (
            offset > 0
            and response.status_code == 206
            and response.headers.get("content-range", "").startswith(f"bytes {offset}-")
        )
        etag = response.headers.get("etag", "")
        encoded = response.headers.get("content-encoding", "identity") != "identity"
        if not resumed:
            self.received, self.lines, self._last = 0, 0, b""
            self._validator = None if encoded or etag.startswith("W/") or not etag else etag
        return resumed

    def feed(self, chunk: bytes) -> None:
        """Count a chunk received."""
        if chunk:
            self.received += len(chunk)
            self.lines += chunk.count(b"\n")
            self._last = chunk[-1:]

    def complete(self) -> bool:
        """True when the file is whole as far as can be told: every line ended, and as many
        lines as the manifest counted."""
        ended = self.received == 0 or self._last == b"\n"
        return ended and (not self.file.counted or self.lines == self.file.count)

    def wait(
        self, policy: RetryPolicy, attempt: int, error: httpx.TransportError | None
    ) -> float | None:
        """Seconds to wait before resuming after attempt `attempt` broke off (`error`, or a
        body that ended short), or None to give up (a download is a read: safe to resend)."""
        if error is not None:
            return policy.after_error(attempt, error, retry_safe=True)
        return None if attempt >= policy.attempts else policy.backoff_delay(attempt)

    def short(self) -> ExportFailedError:
        """The error of a file still incomplete after the last attempt."""
        counted = f" of {self.file.count}" if self.file.counted else ""
        return ExportFailedError(
            f"the download of {file_name_of(self.file)} ended after {self.lines}{counted} lines"
            " (the connection was cut); download the export again"
        )


def file_name_of(file: ExportedFile) -> str:
    """The file's name in its URL (for messages)."""
    return urlsplit(file.url).path.rsplit("/", 1)[-1]
