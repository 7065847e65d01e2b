"""Bulk export for `DmiClient`: start, wait (polling as `Retry-After` says), download each
file to disk with a progress bar; FHIR `$export` too. The requests and their meaning are
`exports`'; `aexporting` is the same, awaited."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from dmi_api_client import exports, models
from dmi_api_client import operations as ops
from dmi_api_client.errors import ExportFailedError
from dmi_api_client.exports import ExportedFile
from dmi_api_client.flow import path_on_base
from dmi_api_client.operations import Id
from dmi_api_client.progress import Bar, Progress
from dmi_api_client.requests import ApiRequest
from dmi_api_client.transport import Transport


class Exports:
    """Bulk export (`export:read`): start, wait (polling as `Retry-After` says), download."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(
        self,
        resources: Sequence[str] | None = None,
        since: datetime | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> models.ExportPublic:
        """Start an export of `resources` (all when None) changed after `since`; every attempt
        sends the same `Idempotency-Key` (a new one unless given)."""
        response = self._t.send(exports.kick_off(resources, since, idempotency_key))
        return ops.EXPORT.validate_json(response.content)

    def get(self, export_id: Id) -> models.ExportPublic:
        return ops.EXPORT.validate_json(self._t.send(exports.status(str(export_id))).content)

    def cancel(self, export_id: Id) -> None:
        self._t.send(exports.cancel(str(export_id)))

    def wait(self, export_id: Id, *, max_wait: float = 3600.0) -> models.ExportPublic:
        """Poll until the export is completed (ExportFailedError if it failed or took too long)."""
        deadline = time.monotonic() + max_wait
        while True:
            response = self._t.send(exports.status(str(export_id)))
            export = ops.EXPORT.validate_json(response.content)
            if exports.finished(export):
                return export
            pause = exports.wait_seconds(response)
            if time.monotonic() + pause > deadline:
                raise ExportFailedError(
                    f"export {export_id} did not finish within {max_wait:.0f} s"
                )
            self._t.sleep(pause)

    def download(
        self,
        export: models.ExportPublic | Mapping[str, Any],
        out_dir: str | Path,
        *,
        progress: bool | None = None,
    ) -> list[ExportedFile]:
        """Download every file of a completed export (or FHIR manifest) into `out_dir`,
        streaming to disk; a progress bar per file on a terminal, or when `progress`."""
        manifest = (
            export.model_dump(mode="json") if isinstance(export, models.ExportPublic) else export
        )
        return [
            self._download(f, i, Path(out_dir), progress)
            for i, f in enumerate(exports.manifest_files(manifest), 1)
        ]

    def _download(
        self, file: ExportedFile, index: int, out_dir: Path, progress: bool | None
    ) -> ExportedFile:
        """Stream one file to `<name>.part`, renamed once whole; a cut (an error, or a body
        that ends short of the manifest's lines) is resumed with `Range` where it broke off, as
        often as the retry policy allows."""
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / exports.file_name(file, index)
        partial = target.with_name(target.name + ".part")
        path = path_on_base(file.url, str(self._t.http.base_url))
        download = exports.Download(file)
        with ExitStack() as stack:
            sink = stack.enter_context(partial.open("wb"))
            bar: Progress | None = None
            for attempt in itertools.count(1):
                request = ApiRequest("GET", path, headers=download.headers())
                response = self._t.send(request, stream=True)
                error: httpx.TransportError | None = None
                try:
                    if bar is None:
                        total = int(response.headers.get("content-length", 0)) or None
                        bar = stack.enter_context(Bar(target.name, total, progress))
                    if not download.start(response):
                        bar.update(-sink.tell())
                        sink.seek(0)
                        sink.truncate()
                    for chunk in response.iter_bytes():
                        sink.write(chunk)
                        download.feed(chunk)
                        bar.update(len(chunk))
                except httpx.TransportError as cut:
                    error = cut
                finally:
                    response.close()
                if error is None and download.complete():
                    break
                if (pause := download.wait(self._t.policy, attempt, error)) is None:
                    raise error or download.short()
                self._t.sleep(pause)
        partial.replace(target)
        return replace(file, path=target)

    def run(
        self,
        out_dir: str | Path,
        *,
        resources: Sequence[str] | None = None,
        since: datetime | None = None,
        progress: bool | None = None,
        max_wait: float = 3600.0,
    ) -> tuple[models.ExportPublic, list[ExportedFile]]:
        """Start an export, wait for it, download its files: the export and the files."""
        started = self.create(resources, since)
        done = self.wait(started.id, max_wait=max_wait)
        return done, self.download(done, out_dir, progress=progress)

    def fhir(
        self,
        out_dir: str | Path,
        *,
        types: Sequence[str] | None = None,
        since: datetime | None = None,
        patient_level: bool = False,
        progress: bool | None = None,
        max_wait: float = 3600.0,
    ) -> tuple[dict[str, Any], list[ExportedFile]]:
        """FHIR Bulk Data `$export`: kick off, poll the status URL, download the NDJSON files;
        the manifest and the files."""
        kicked = self._t.send(exports.fhir_kick_off(types, since, patient_level=patient_level))
        status = path_on_base(kicked.headers["content-location"], str(self._t.http.base_url))
        deadline = time.monotonic() + max_wait
        while (response := self._t.send(exports.fhir_status(status))).status_code == 202:
            pause = exports.wait_seconds(response)
            if time.monotonic() + pause > deadline:
                raise ExportFailedError(f"FHIR export did not finish within {max_wait:.0f} s")
            self._t.sleep(pause)
        manifest: dict[str, Any] = response.json()
        return manifest, self.download(manifest, out_dir, progress=progress)
