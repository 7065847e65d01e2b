"""A TCP proxy in front of PostgreSQL that tests can cut, blackhole and restore."""

from __future__ import annotations

import asyncio
import contextlib

from tests.support.ports import free_port


class TcpProxy:
    """Forwards 127.0.0.1:port to a target; `cut()` refuses and drops, `blackhole()` hangs new
    connections, `pause()` hangs every connection, open ones included (a hung server)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = free_port()
        self.mode = "forward"
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def start(self) -> None:
        """Listen (again) and forward new connections (and open ones again, after `pause`)."""
        self.mode = "forward"
        self._flowing.set()
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Stop listening and drop every open connection: the database is gone."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def blackhole(self) -> None:
        """Accept connections but never answer: the database hangs."""
        await self.cut()
        await self.start()
        self.mode = "blackhole"

    async def pause(self) -> None:
        """Stop forwarding on open connections and hang new ones: the server stops answering."""
        self._flowing.clear()
        self.mode = "blackhole"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self.mode == "blackhole":
            with contextlib.suppress(ConnectionError):
                await reader.read()  # hold the connection open until the client gives up
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65_536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()
