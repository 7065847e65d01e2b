"""Bulk export for `AsyncDmiClient`: `exporting`, awaited (files written with anyio)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import httpx

from dmi_api_client import exports, models
from dmi_api_client import operations as ops
from dmi_api_client.atransport import AsyncTransport as Transport
from dmi_api_client.errors import ExportFailedError
from dmi_api_client.exports import ExportedFile
from dmi_api_client.flow import path_on_base
from dmi_api_client.operations import Id
from dmi_api_client.progress import Bar, Progress
from dmi_api_client.requests import ApiRequest


class Exports:
    """Bulk export (`export:read`): start, wait (polling as `Retry-After` says), download."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    async def create(
        self,
        resources: Sequence[str] | None = None,
        since: datetime | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> models.ExportPublic:
        """Start an export of `resources` (all when None) changed after `since`; every attempt
        sends the same `Idempotency-Key` (a new one unless given)."""
        response = await self._t.send(exports.kick_off(resources, since, idempotency_key))
        return ops.EXPORT.validate_json(response.content)

    async def get(self, export_id: Id) -> models.ExportPublic:
        response = await self._t.send(exports.status(str(export_id)))
        return ops.EXPORT.validate_json(response.content)

    async def cancel(self, export_id: Id) -> None:
        await self._t.send(exports.cancel(str(export_id)))

    async def wait(self, export_id: Id, *, max_wait: float = 3600.0) -> models.ExportPublic:
        """Poll until the export is completed (ExportFailedError if it failed or took too long)."""
        deadline = time.monotonic() + max_wait
        while True:
            response = await self._t.send(exports.status(str(export_id)))
            export = ops.EXPORT.validate_json(response.content)
            if exports.finished(export):
                return export
            pause = exports.wait_seconds(response)
            if time.monotonic() + pause > deadline:
                raise ExportFailedError(
                    f"export {export_id} did not finish within {max_wait:.0f} s"
                )
            await self._t.sleep(pause)

    async def download(
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
            await self._download(f, i, Path(out_dir), progress)
            for i, f in enumerate(exports.manifest_files(manifest), 1)
        ]

    async def _download(
        self, file: ExportedFile, index: int, out_dir: Path, progress: bool | None
    ) -> ExportedFile:
        """Stream one file to `<name>.part`, renamed once whole; a cut (an error, or a body
        that ends short of the manifest's lines) is resumed with `Range` where it broke off, as
        often as the retry policy allows."""
        await anyio.Path(out_dir).mkdir(parents=True, exist_ok=True)
        target = out_dir / exports.file_name(file, index)
        partial = anyio.Path(target.with_name(target.name + ".part"))
        path = path_on_base(file.url, str(self._t.http.base_url))
        download = exports.Download(file)
        with ExitStack() as stack:
            bar: Progress | None = None
            async with await partial.open("wb") as sink:
                for attempt in itertools.count(1):
                    request = ApiRequest("GET", path, headers=download.headers())
                    response = await self._t.send(request, stream=True)
                    error: httpx.TransportError | None = None
                    try:
                        if bar is None:
                            total = int(response.headers.get("content-length", 0)) or None
                            bar = stack.enter_context(Bar(target.name, total, progress))
                        if not download.start(response):
                            bar.update(-(await sink.tell()))
                            await sink.seek(0)
                            await sink.truncate()
                        async for chunk in response.aiter_bytes():
                            await sink.write(chunk)
                            download.feed(chunk)
                            bar.update(len(chunk))
                    except httpx.TransportError as cut:
                        error = cut
                    finally:
                        await response.aclose()
                    if error is None and download.complete():
                        break
                    if (pause := download.wait(self._t.policy, attempt, error)) is None:
                        raise error or download.short()
                    await self._t.sleep(pause)
        await partial.replace(target)
        return replace(file, path=target)

    async def run(
        self,
        out_dir: str | Path,
        *,
        resources: Sequence[str] | None = None,
        since: datetime | None = None,
        progress: bool | None = None,
        max_wait: float = 3600.0,
    ) -> tuple[models.ExportPublic, list[ExportedFile]]:
        """Start an export, wait for it, download its files: the export and the files."""
        started = await self.create(resources, since)
        done = await self.wait(started.id, max_wait=max_wait)
        return done, await self.download(done, out_dir, progress=progress)

    async def fhir(
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
        kicked = await self._t.send(
            exports.fhir_kick_off(types, since, patient_level=patient_level)
        )
        status = path_on_base(kicked.headers["content-location"], str(self._t.http.base_url))
        deadline = time.monotonic() + max_wait
        while (response := await self._t.send(exports.fhir_status(status))).status_code == 202:
            pause = exports.wait_seconds(response)
            if time.monotonic() + pause > deadline:
                raise ExportFailedError(f"FHIR export did not finish within {max_wait:.0f} s")
            await self._t.sleep(pause)
        manifest: dict[str, Any] = response.json()
        return manifest, await self.download(manifest, out_dir, progress=progress)
