"""A small WebSocket server that speaks the contract and misbehaves on command.

It keeps a log of every event it "produced" (with ``id`` and a server-clock timestamp),
delivers new events to subscribed clients, and on a ``subscribe`` with ``lastTimestamp``
replays what came after it in one ``catchup`` (empty when older than its window, as the
original does). Tests drive it: emit events, send garbage, drop TCP without a close
frame, refuse or accept-and-close connections, go silent, stop and restart on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from app.protocol import iso_utc


@dataclass(eq=False)
class Client:
    """One connection as the server sees it."""

    conn: ServerConnection
    topics: list[str] = field(default_factory=list)
    silent: bool = False


class ScriptedServer:
    """See the module docstring. Start with ``await server.start()``; ``url`` is ws://..."""

    def __init__(self, *, catchup_window_ms: int = 300_000, step_ms: int = 100) -> None:
        self.catchup_window_ms = catchup_window_ms
        self.step_ms = step_ms
        self.now_ms = int(time.time() * 1000) - 60_000
        """The server's clock: advances by ``step_ms`` per event, or when a test says."""
        self.events: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        """Every JSON message clients sent, in order."""
        self.clients: list[Client] = []
        self.connections = 0
        """Handshakes completed since the start (accepted connections)."""
        self.refusing = False
        """Answer the handshake with HTTP 503."""
        self.accept_and_close = False
        """Complete the handshake, then close at once (code 1000)."""
        self.send_catchup = True
        self.ping_interval: float | None = None
        self.port = 0
        self._server: Server | None = None
        self._changed = asyncio.Event()

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def start(self) -> None:
        self._server = await serve(
            self._handler,
            "127.0.0.1",
            self.port,
            process_request=self._process_request,
            ping_interval=self.ping_interval,
            ping_timeout=None,
            max_size=None,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self, abort: bool = True) -> None:
        """Stop listening; drop every client (without a close frame when ``abort``)."""
        if self._server is None:
            return
        self._server.close(close_connections=not abort)
        if abort:
            self.drop_all()
        await self._server.wait_closed()
        self._server = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    # --- misbehaviour --------------------------------------------------------------------

    def drop_all(self) -> None:
        """Drop every TCP connection without a close frame (``transport.abort()``)."""
        for client in list(self.clients):
            client.conn.transport.abort()

    def go_silent(self) -> None:
        """Stop sending and stop reading: no frames, no pings, no pongs, no close."""
        for client in self.clients:
            client.silent = True
            client.conn.transport.pause_reading()

    async def send_raw(self, frame: str | bytes) -> None:
        """Send one frame, as is, to every subscribed client."""
        for client in self._live_clients():
            await self._send(client, frame)

    async def send_json(self, body: Any) -> None:
        await self.send_raw(json.dumps(body))

    # --- events --------------------------------------------------------------------------

    def make_event(self, stream: str = "customer.tutor.search") -> dict[str, Any]:
        """Produce the next event (logged, not sent): its own id, the server clock's time."""
        self.now_ms += self.step_ms
        n = len(self.events) + 1
        event = {
            "id": f"ev-{n}",
            "stream": stream,
            "timestamp": iso_utc(self.now_ms),
            "data": {"n": n},
            "normalizedValue": float(40 + n % 20),
            "anomalyFlag": "normal",
        }
        self.events.append(event)
        return event

    async def emit(
        self, count: int = 1, stream: str = "customer.tutor.search", batch: bool = False
    ) -> list[dict[str, Any]]:
        """Produce ``count`` events and push them to subscribed clients."""
        made = [self.make_event(stream) for _ in range(count)]
        if batch:
            await self.send_json({"type": "batch", "events": made})
        else:
            for event in made:
                await self.send_json({"type": "event", "data": event})
        return made

    def ids(self) -> list[str]:
        return [e["id"] for e in self.events]

    # --- waiting -------------------------------------------------------------------------

    async def wait_for(self, predicate: Any) -> None:
        """Wait until ``predicate()`` holds; re-checked on every server-side change."""
        while not predicate():
            changed = self._changed
            await changed.wait()

    def subscribed_clients(self) -> int:
        return len(self._live_clients())

    # --- internals -----------------------------------------------------------------------

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _live_clients(self) -> list[Client]:
        return [c for c in self.clients if c.topics and not c.silent]

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        if self.refusing:
            return conn.respond(HTTPStatus.SERVICE_UNAVAILABLE, "refusing for now\n")
        return None

    async def _handler(self, conn: ServerConnection) -> None:
        self.connections += 1
        if self.accept_and_close:
            self._notify()
            return
        client = Client(conn)
        self.clients.append(client)
        self._notify()
        try:
            async for raw in conn:
                message = json.loads(raw)
                self.received.append(message)
                await self._on_message(client, message)
                self._notify()
        except ConnectionClosed:
            pass
        finally:
            self.clients.remove(client)
            self._notify()

    async def _on_message(self, client: Client, message: dict[str, Any]) -> None:
        if message.get("type") == "subscribe":
            client.topics = list(message["topics"])
            await self._send(client, json.dumps({"type": "subscribed", "topics": client.topics}))
            since = message.get("lastTimestamp")
            if since is not None and self.send_catchup:
                await self._send(client, json.dumps(self._catchup(client, since)))
        elif message.get("type") == "unsubscribe":
            gone = set(message["topics"])
            client.topics = [t for t in client.topics if t not in gone]

    def _catchup(self, client: Client, since: str) -> dict[str, Any]:
        since_ms = int(datetime.fromisoformat(since).astimezone(UTC).timestamp() * 1000)
        replay: list[dict[str, Any]] = []
        if self.now_ms - since_ms <= self.catchup_window_ms:
            replay = [e for e in self.events if _ms(e) > since_ms and _matches(client, e)]
        return {"type": "catchup", "events": replay, "catchUpEndTime": iso_utc(self.now_ms)}

    async def _send(self, client: Client, frame: str | bytes) -> None:
        if client.silent:
            return
        with contextlib.suppress(ConnectionClosed):
            await client.conn.send(frame)


def _ms(event: dict[str, Any]) -> int:
    return int(datetime.fromisoformat(event["timestamp"]).timestamp() * 1000)


def _matches(client: Client, event: dict[str, Any]) -> bool:
    stream = event["stream"]
    for topic in client.topics:
        if topic in ("*", stream) or (topic.endswith(".*") and stream.startswith(topic[:-1])):
            return True
    return False
