"""Fixtures of the webhook tests: a real receiver on 127.0.0.1, committed rows (cleaned up after
the test) and the delivery work on the app's role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from dmi_api.config import Settings
from dmi_api.workers.attempts import WebhookWork
from tests.conftest import Database
from tests.webhooks.committed import Committed, work_for
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.1, stopped after the test."""
    with running_receiver() as running:
        yield running


@pytest.fixture
async def committed(database: Database, settings: Settings) -> AsyncIterator[Committed]:
    """Rows committed as the database owner, deleted after the test."""
    rows = Committed(database.owner_url, settings)
    try:
        yield rows
    finally:
        await rows.cleanup()


@pytest.fixture
async def work(settings: Settings, engine: AsyncEngine) -> AsyncIterator[WebhookWork]:
    """The delivery work on the app's role, loopback allowed."""
    work = work_for(settings, engine)
    yield work
    await work.client.aclose()
