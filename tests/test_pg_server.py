"""How the suite finds its PostgreSQL server: env var, local server, or a throwaway cluster."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from tests.support.pg_server import PgServer, resolve_pg_server, stop_pg_server
from tests.support.ports import free_port

pytestmark = pytest.mark.postgres_only


def _select_one(admin_url: str) -> Any:
    async def query() -> Any:
        conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return await conn.fetchval("select 1")
        finally:
            await conn.close()

    # A thread of its own, so as not to disturb any event loop pytest-asyncio keeps current.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, query()).result(timeout=30)


@pytest.mark.parametrize(
    "url", ["postgres://u:p@h:1/d", "postgresql://u:p@h:1/d", "postgresql+asyncpg://u:p@h:1/d"]
)
def test_env_var_wins_without_touching_the_network(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(asyncpg, "connect", lambda *a, **k: calls.append((a, k)))

    server = resolve_pg_server(env={"DMI_TEST_DATABASE_URL": url})

    assert server == PgServer("postgresql+asyncpg://u:p@h:1/d", None)
    assert calls == []


def test_env_var_with_another_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="scheme 'mysql'"):
        resolve_pg_server(env={"DMI_TEST_DATABASE_URL": "mysql://u:secret@h/d"})


def test_throwaway_cluster_when_nothing_listens() -> None:
    server = resolve_pg_server(probe_port=free_port(), env={})
    try:
        assert server.cluster_dir is not None
        assert server.cluster_dir.is_dir()
        assert server.admin_url.startswith("postgresql+asyncpg://postgres@127.0.0.1:")
        assert _select_one(server.admin_url) == 1
        port = int(server.admin_url.rsplit(":", 1)[1].split("/")[0])
        # The probe path, on a port other than the default: a running server is used as is.
        found = resolve_pg_server(probe_port=port, env={})
        assert found == PgServer(server.admin_url, None)
    finally:
        stop_pg_server(server)

    assert not server.cluster_dir.exists()
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port), timeout=2),
    ):
        pass
