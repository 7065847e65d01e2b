from __future__ import annotations

from dmi_api_client import AsyncDmiClient, DmiClient


def test_sync_lists(dmi: DmiClient) -> None:
    assert list(dmi.children.list()) == []


async def test_async_lists(admi: AsyncDmiClient) -> None:
    assert [c async for c in admi.children.list()] == []
