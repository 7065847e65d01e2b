"""`dmi-api worker` as a process of its own whose exports never get past their first read (a
test's export that runs until the worker stops): `python -m tests.webhooks.held_worker
[worker options]`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

from dmi_api import cli
from dmi_api.config import Settings
from dmi_api.workers import queue


def _held_rows(_settings: Settings) -> Callable[..., AsyncIterator[list[Any]]]:
    async def rows(*_args: Any) -> AsyncIterator[list[Any]]:
        await asyncio.Event().wait()  # until cancelled
        yield []

    return rows


if __name__ == "__main__":
    vars(queue)["SnapshotRows"] = _held_rows  # the reader `run_worker` gives its exports
    sys.exit(cli.main(["worker", *sys.argv[1:]]))
