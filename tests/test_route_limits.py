"""The per-route bulkhead in front of the connection pools."""

from __future__ import annotations

import asyncio

import pytest

from dmi_api.route_limits import RouteLimits


def test_a_share_of_the_pool_is_at_least_one_connection() -> None:
    assert RouteLimits.share_of(15, 0.75, 1).limit == 11
    assert RouteLimits.share_of(10, 0.75, 1).limit == 7
    assert RouteLimits.share_of(1, 0.75, 1).limit == 1


async def test_a_full_route_waits_for_its_own_slots_while_others_pass() -> None:
    limits = RouteLimits(limit=1, timeout=0.2)
    await limits.acquire("locked")
    await limits.acquire("other")  # another route is not held up
    waiter = asyncio.ensure_future(limits.acquire("locked"))
    await asyncio.sleep(0)
    assert not waiter.done()
    limits.release("locked")  # the waiter gets the slot
    await waiter
    with pytest.raises(TimeoutError):
        await limits.acquire("locked")
    limits.release("locked")
    limits.release("other")
    await limits.acquire("locked")  # nothing lost to the timed-out caller


async def test_a_slot_handed_to_a_caller_who_gave_up_goes_to_the_next() -> None:
    limits = RouteLimits(limit=1, timeout=5)
    await limits.acquire("route")
    first = asyncio.ensure_future(limits.acquire("route"))
    second = asyncio.ensure_future(limits.acquire("route"))
    await asyncio.sleep(0)
    limits.release("route")  # handed to the first waiter ...
    first.cancel()  # ... which gives up before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await second
    limits.release("route")
    assert limits.try_acquire("route")
    assert not limits.try_acquire("route")
