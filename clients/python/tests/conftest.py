"""The client's tests run against dmi-api served for real on PostgreSQL (`support/served.py`):
one database, server and worker for the whole run, each test making rows of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from dmi_api_client import AsyncDmiClient, DmiClient
from tests.support.proxy import Proxy, proxy_to
from tests.support.served import Served, serve


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("served")) as app:
        yield app


@pytest.fixture
def dmi(served: Served) -> Iterator[DmiClient]:
    """A synchronous client with the secret client's credentials."""
    with DmiClient(served.url, served.secret) as client:
        yield client


@pytest.fixture
async def admi(served: Served) -> AsyncIterator[AsyncDmiClient]:
    """An asynchronous client with the private_key_jwt client's credentials."""
    async with AsyncDmiClient(served.url, served.jwt) as client:
        yield client


@pytest.fixture
def proxy(served: Served) -> Iterator[Proxy]:
    """A loopback proxy in front of the served app that misbehaves on cue."""
    with proxy_to(served.url) as running:
        yield running


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"
