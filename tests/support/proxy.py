"""A TCP proxy on 127.0.0.1 that can turn the links through it half-open.

``freeze()`` makes every link open at that moment stop forwarding in both directions
without closing anything: no FIN, no RST, bytes simply stop arriving, as when a NAT
entry or a middlebox silently drops a connection. Links accepted afterwards forward
normally, so a client that notices and reconnects gets through again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

CHUNK = 64 * 1024


@dataclass(eq=False)
class _Link:
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    frozen: bool = False


class FreezableProxy:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``upstream_port``; see the module docstring."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.accepted = 0
        """Client connections accepted since the start."""
        self._server: asyncio.Server | None = None
        self._links: list[_Link] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._never = asyncio.Event()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def freeze(self) -> int:
        """Stop forwarding on every open link, closing nothing; returns how many."""
        open_links = [link for link in self._links if not link.frozen]
        for link in open_links:
            link.frozen = True
        return len(open_links)

    async def close(self) -> None:
        """Stop listening, drop every link, and await every pump."""
        if self._server is not None:
            self._server.close()
        for link in self._links:
            for writer in link.writers:
                writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        link = _Link([writer])
        self._links.append(link)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        link.writers.append(up_writer)
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(link, src, dst))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self, link: _Link, src: asyncio.StreamReader, dst: asyncio.StreamWriter
    ) -> None:
        try:
            while not link.frozen:
                data = await src.read(CHUNK)
                if link.frozen:
                    break  # read, but never delivered: the link went dark mid-flight
                if not data:
                    if dst.can_write_eof():
                        dst.write_eof()
                    return
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            for writer in link.writers:
                writer.transport.abort()
            return
        # Frozen: hold both sockets open and read nothing more, until close() cancels.
        await self._never.wait()
