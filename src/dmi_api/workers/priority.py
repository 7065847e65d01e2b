"""A worker's CPU priority, below the API's on a host they share.

Linux's scheduler compares niceness only within an *autogroup* (one per session, when
`kernel.sched_autogroup_enabled` is 1, as it is by default): a niced process in a session of
its own still gets as much CPU as the API's whole session. A worker that leads its own session
(a service under systemd, or any supervisor that starts it with `setsid`) therefore lowers its
session's niceness as well, through `/proc/self/autogroup`; one started from a shell shares
the shell's session, which it leaves alone.
"""

from __future__ import annotations

import os
from pathlib import Path

AUTOGROUP = Path("/proc/self/autogroup")


def lower_priority(nice: int) -> str:
    """Run at `nice` (0-19); what was lowered: "process and session", or "process"."""
    os.nice(nice)
    if nice <= 0 or os.getsid(0) != os.getpid() or not AUTOGROUP.exists():
        return "process"
    try:
        AUTOGROUP.write_text(str(nice))
    except OSError:  # not allowed here: the process's own niceness still holds within it
        return "process"
    return "process and session"
