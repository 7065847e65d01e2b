"""A worker's CPU priority: its own niceness, and its session's when it leads one (the
kernel's autogroups compare niceness only within a session)."""

from __future__ import annotations

import json
import subprocess
import sys

from dmi_api.workers.priority import AUTOGROUP

_PROBE = """
import json, os
from dmi_api.workers.priority import AUTOGROUP, lower_priority
lowered = lower_priority(7)
group = AUTOGROUP.read_text() if AUTOGROUP.exists() else None
print(json.dumps({"lowered": lowered, "nice": os.nice(0), "group": group}))
"""


def _probe(*, own_session: bool) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        start_new_session=own_session,
        timeout=60,
    )
    found: dict[str, object] = json.loads(done.stdout)
    return found


def test_a_worker_leading_its_session_lowers_the_session_too() -> None:
    found = _probe(own_session=True)
    assert found["nice"] == 7
    if AUTOGROUP.exists():  # Linux with autogroups: the session's whole CPU share drops
        assert found["lowered"] == "process and session"
        assert str(found["group"]).rstrip().endswith("nice 7")
    else:
        assert found["lowered"] == "process"


def test_a_worker_in_someone_elses_session_leaves_it_alone() -> None:
    before = AUTOGROUP.read_text() if AUTOGROUP.exists() else None
    found = _probe(own_session=False)
    assert found["nice"] == 7
    assert found["lowered"] == "process"
    assert found["group"] == before  # this test's own session kept its niceness
