"""Work that a stopping worker does not wait for (a bulk export runs for minutes): run to its
end, or cancelled as soon as the stop comes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable


async def unless_stopped(work: Awaitable[object], stopping: asyncio.Event) -> bool:
    """Run `work` to its end (True; its error raised), or cancel it once `stopping` is set
    (False)."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
    if task.cancelled():
        return False
    task.result()
    return True
