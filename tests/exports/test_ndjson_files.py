"""NDJSON files of one output type: one line per resource, no blank lines, a new file past the
size limit (a line is never split)."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import orjson

from dmi_api.services.export_files import FILE_NAME, NdjsonFiles, export_dir


def test_lines_chunks_and_the_size_limit(tmp_path: Path) -> None:
    files = NdjsonFiles(tmp_path, "Patient", max_bytes=100)
    files.write([])  # an empty chunk writes nothing, not even a file
    assert files.files == []
    for n in range(7):
        files.write([{"resourceType": "Patient", "id": f"p{n}-{'x' * 20}"}])
        files.write([])
    files.write([{"id": str(n)} for n in range(3)])
    files.close()
    lines = []
    for entry in files.files:
        assert FILE_NAME.match(entry["file"])
        content = (tmp_path / entry["file"]).read_bytes()
        assert len(content) <= 100
        assert content.endswith(b"\n")
        found = content.splitlines()
        assert all(found), "no blank line"
        assert len(found) == entry["count"]
        lines += [orjson.loads(line)["id"] for line in found]
    assert len(files.files) > 1
    assert lines == [f"p{n}-{'x' * 20}" for n in range(7)] + ["0", "1", "2"]


def test_files_and_their_directories_are_the_services_alone(tmp_path: Path) -> None:
    # An export's files are PHI: another account of the host (a shared volume's other users)
    # may neither read them nor list, enter or change their directories, whatever the umask.
    root = tmp_path / "exports"
    root.mkdir()
    directory = export_dir(str(root), uuid.uuid4(), uuid.uuid4())
    old = os.umask(0o002)
    try:
        with NdjsonFiles(directory, "Patient", max_bytes=50) as files:
            files.write([{"resourceType": "Patient", "id": f"p{n}", "name": "Mia"} for n in (1, 2)])
    finally:
        os.umask(old)
    written = [directory / entry["file"] for entry in files.files]
    assert len(written) == 2
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path
    for path in (directory, directory.parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o750, path
