"""An export's files: where they live (`DMI_EXPORT_DIR/{clinic}/{export}/`), their names, and
NDJSON written type by type, continued in another file past the size limit."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path
from typing import IO, Any

import orjson

from dmi_api.models.columns import json_default

# What a file of ours is called: `Patient-1.ndjson`, `deleted-Patient-1.ndjson`,
# `session_records-2.ndjson`. Nothing else is ever served.
FILE_NAME = re.compile(r"^(deleted-)?[A-Za-z_]{1,40}-[1-9][0-9]{0,5}\.ndjson$")


def export_dir(root: str, clinic_id: uuid.UUID, export_id: uuid.UUID) -> Path:
    """The directory of one export's files."""
    return Path(root) / str(clinic_id) / str(export_id)


def remove(root: str, clinic_id: uuid.UUID, export_id: uuid.UUID) -> None:
    """Delete an export's files (nothing there is fine)."""
    shutil.rmtree(export_dir(root, clinic_id, export_id), ignore_errors=True)


# An export's files are PHI: the service's user writes them, its group (another replica or the
# worker run as another user of the group) may read them, other accounts of the host nothing,
# whatever the process's umask (a umask can only narrow these).
FILE_MODE = 0o640
DIRECTORY_MODE = 0o750
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


# Each resource on a line of its own, its timestamps in UTC with a `Z`.
_LINE = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE


class NdjsonFiles:
    """The files of one output type: lines appended, a new file past `max_bytes`."""

    def __init__(self, directory: Path, name: str, max_bytes: int) -> None:
        self.directory, self.name, self.max_bytes = directory, name, max_bytes
        self.files: list[dict[str, Any]] = []  # {"file", "count"} per file written
        self._handle: IO[bytes] | None = None
        self._size = 0

    def write(self, resources: list[dict[str, Any]]) -> None:
        """Append one line per resource (a chunk that fits goes in one write)."""
        if not resources:
            return
        lines = [orjson.dumps(r, default=json_default, option=_LINE) for r in resources]
        size = sum(map(len, lines))
        if self._handle is not None and self._size + size <= self.max_bytes:
            self._handle.write(b"".join(lines))
            self._size += size
            self.files[-1]["count"] += len(lines)
            return
        for line in lines:
            if self._handle is None or (self._size and self._size + len(line) > self.max_bytes):
                self._next_file()
            assert self._handle is not None
            self._handle.write(line)
            self._size += len(line)
            self.files[-1]["count"] += 1

    def _next_file(self) -> None:
        self.close()
        file_name = f"{self.name}-{len(self.files) + 1}.ndjson"
        # The clinic's directory and the export's, created with their mode (the root, the
        # operator's `DMI_EXPORT_DIR`, as the process creates directories).
        self.directory.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        self.directory.mkdir(mode=DIRECTORY_MODE, exist_ok=True)
        descriptor = os.open(self.directory / file_name, _CREATE, FILE_MODE)
        self._handle = os.fdopen(descriptor, "wb", buffering=1 << 16)
        self._size = 0
        self.files.append({"file": file_name, "count": 0})

    def __enter__(self) -> NdjsonFiles:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def entries(self, type_name: str) -> list[dict[str, Any]]:
        """The manifest's entries of the files written: `{type, file, count}`."""
        return [{"type": type_name, **entry} for entry in self.files]

    def close(self) -> None:
        """Flush and close the current file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
