"""Helpers of the simulator tests: a real uvicorn server on an ephemeral port, a raw
WebSocket client (for what the ``websockets`` client does automatically, like pongs), and
waiting helpers. Timeouts scale from one constant; nothing synchronises with a fixed sleep.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from app.simulator import SimulatorConfig, create_app, serve_options
from app.simulator.config import Clock
from app.simulator.service import Simulator

TIMEOUT = 10.0
"""Upper bound of any single wait in these tests (they normally take far less)."""


WEDNESDAY_NOON = 1_795_608_000.0
"""2026-11-25T12:00:00Z: a weekday peak hour, so test rates do not depend on the real hour."""


def noon_clock(start: float = WEDNESDAY_NOON) -> Clock:
    """A clock running at real speed from ``start`` (shared offsets keep servers in step)."""
    offset = start - time.time()
    return lambda: time.time() + offset


SIM_CLOCK = noon_clock()
"""One clock for every test server, so a restarted server continues the same time line."""


def fast_config(**overrides: Any) -> SimulatorConfig:
    """A config that makes events flow fast and flush often, at a weekday noon."""
    values: dict[str, Any] = {
        "clock": SIM_CLOCK,
        "seed": 7,
        "rate": 200.0,
        "flush_interval_s": 0.05,
        "ping_interval": 5.0,
        "ping_timeout": 10.0,
        "scenario_time_scale": 0.01,
    }
    values.update(overrides)
    return SimulatorConfig(**values)


@dataclass
class Running:
    """A simulator served by uvicorn on 127.0.0.1:port."""

    sim: Simulator
    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"


@contextlib.asynccontextmanager
async def serve_app(app: Any, **options: Any) -> AsyncIterator[int]:
    """Serve an ASGI app with uvicorn on an ephemeral port of 127.0.0.1; yields the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", **options))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(TIMEOUT):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def run_server(
    config: SimulatorConfig | None = None, **uvicorn_overrides: Any
) -> AsyncIterator[Running]:
    """Serve ``create_app(config)`` with the standalone uvicorn options on an ephemeral port."""
    config = config or fast_config()
    app = create_app(config)
    async with serve_app(app, **{**serve_options(config), **uvicorn_overrides}) as port:
        yield Running(app.state.simulator, port)


def client(srv: Running, **options: Any) -> connect:
    """A ``websockets`` client of ``srv`` that buffers without limit.

    With the default bounded queue, a test that stops reading pauses the socket, and the
    closing handshake then waits for its 10 s timeout.
    """
    return connect(srv.ws, max_queue=None, **options)


async def recv_json(ws: ClientConnection, within: float = TIMEOUT) -> dict[str, Any]:
    """The next frame as JSON, within ``within`` seconds."""
    async with asyncio.timeout(within):
        frame = await ws.recv()
    data: dict[str, Any] = json.loads(frame)
    return data


async def recv_until(
    ws: ClientConnection, predicate: Callable[[dict[str, Any]], bool], within: float = TIMEOUT
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Frames until one satisfies ``predicate``: (that frame, every frame before it)."""
    before: list[dict[str, Any]] = []
    async with asyncio.timeout(within):
        while True:
            message = json.loads(await ws.recv())
            if predicate(message):
                return message, before
            before.append(message)


def events_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The events an event/batch/catchup frame carries."""
    if message["type"] == "event":
        return [message["data"]]
    events: list[dict[str, Any]] = message.get("events", [])
    return events


class RawClient:
    """A minimal WebSocket client that answers nothing by itself (no automatic pong)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int, path: str = "/ws") -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def read_frame(self) -> tuple[int, bytes]:
        """(opcode, payload) of the next server frame (server frames are not masked)."""
        b0, b1 = await self.reader.readexactly(2)
        size = b1 & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return b0 & 0x0F, await self.reader.readexactly(size)

    def send_frame(self, opcode: int, payload: bytes) -> None:
        """Send one masked frame, as a client must."""
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            head = bytes([0x80 | opcode, 0x80 | size])
        elif size < 65536:
            head = bytes([0x80 | opcode, 0x80 | 126]) + struct.pack("!H", size)
        else:
            head = bytes([0x80 | opcode, 0x80 | 127]) + struct.pack("!Q", size)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(head + mask + body)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA
