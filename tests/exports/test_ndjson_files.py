"""NDJSON files of one output type: one line per resource, no blank lines, a new file past the
size limit (a line is never split)."""

from __future__ import annotations

from pathlib import Path

import orjson

from dmi_api.services.export_files import FILE_NAME, NdjsonFiles


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
