"""Embedded SQLite files migrated to head: copies of one file migrated once per run.

Migrating a new file from scratch costs a second of CPU (every revision, run by Alembic); the
tests that need a file of their own copy one migrated once. The migrations themselves are
tested in tests/test_migrations.py (and `dmi-api serve` migrating its file, in test_serve).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from dmi_api.migrate import upgrade_to_head


@functools.cache
def _template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="dmi-migrated-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "migrated.db"
    upgrade_to_head(f"sqlite+aiosqlite:///{path}")
    # The engine is disposed: the write-ahead log is checkpointed into the file and removed.
    leftovers = [p.name for p in folder.iterdir() if p != path]
    assert not leftovers, f"a migrated file left {leftovers}: copying it alone would lose them"
    return path


def migrated_sqlite(path: Path) -> str:
    """The URL of a new SQLite file at `path`, migrated to head."""
    shutil.copyfile(_template(), path)
    return f"sqlite+aiosqlite:///{path}"
