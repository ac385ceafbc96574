"""Limits that keep hostile sizes and speeds harmless: oversized frames are refused and
counted through the real connection manager; a 10 MB history answer is cut off at
``max_bytes``; a history server that trickles bytes is cut off by the timeout."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.history import HistoryClient, HistoryError
from app.stores.connection import ConnectionState
from app.stores.types import Source
from tests.support.manager import RecordingSink, make_settings, running
from tests.support.scripted_server import ScriptedServer

pytestmark = pytest.mark.timeout(30)

STREAM = "customer.tutor.search"
WAIT = 10.0
LIMIT = 64 * 1024
"""The manager's skip limit in these tests; the link itself closes at 4x (1009)."""
END = datetime(2026, 11, 26, 12, tzinfo=UTC)
START = END - timedelta(hours=1)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    """The scripted WebSocket server on an ephemeral port."""
    srv = ScriptedServer()
    await srv.start()
    yield srv
    await srv.stop()


def _padded_event(server: ScriptedServer, size: int) -> str:
    """An ``event`` frame of exactly ``size`` bytes carrying a real, fresh event."""
    event = server.make_event(STREAM)
    frame = json.dumps({"type": "event", "data": {**event, "data": {"pad": ""}}})
    event["data"] = {"pad": "x" * (size - len(frame))}
    text = json.dumps({"type": "event", "data": event})
    assert len(text) == size
    return text


async def test_oversized_frames_are_refused_and_counted(server: ScriptedServer) -> None:
    """Frames over the limit are skipped and counted one by one; the link and events stay."""
    sink = RecordingSink()
    settings = make_settings(max_frame_bytes=LIMIT)
    sizes = [LIMIT, LIMIT + 1, 2 * LIMIT, 4 * LIMIT - 16] * 5
    async with running(server.url, sink, settings) as manager, asyncio.timeout(WAIT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        kept = 0
        for size in sizes:
            await server.send_raw(_padded_event(server, size))
            kept += size <= LIMIT
            await server.emit(1)
        await sink.wait_for(lambda: len(sink.timestamps()) == kept + len(sizes))
        assert manager.store.malformed_by_kind == {"too_large": len(sizes) - kept}
        assert manager.state is ConnectionState.CONNECTED
        assert manager.store.reconnects == 0


async def test_frame_past_the_hard_limit_reconnects_and_catches_up(server: ScriptedServer) -> None:
    """A frame over 4x the limit closes the link (1009); catch-up brings back what followed."""
    sink = RecordingSink()
    settings = make_settings(max_frame_bytes=LIMIT)
    async with running(server.url, sink, settings) as manager, asyncio.timeout(WAIT):
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        await server.emit(3)
        await sink.wait_for(lambda: len(sink.timestamps()) == 3)
        await server.send_raw("x" * (4 * LIMIT + 1024))
        await manager.wait_for_state(ConnectionState.RECONNECTING)
        assert "1009" in manager.store.reason
        await server.emit(2)  # produced while the client is away: only catch-up has them
        await server.wait_for(lambda: server.subscribed_clients() == 1)
        await server.emit(1)
        await sink.wait_for(lambda: len(sink.timestamps()) == 6)
        assert sink.timestamps() == sorted(sink.timestamps())
        assert manager.store.reconnects == 1
        assert sink.received(Source.CATCHUP) >= 2


# --- history: size ---------------------------------------------------------------------------

TEN_MB = 10 * 1024 * 1024
CHUNK = 64 * 1024


class _Body(httpx.AsyncByteStream):
    """A 10 MB body produced chunk by chunk, counting how much was actually pulled."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"timeRange":{},"streams":{"a.b":['
        while self.sent < TEN_MB:
            chunk = b'{"timestamp":"2026-11-26T00:00:00Z","value":1,"normalized":50},' * 1000
            self.sent += len(chunk)
            yield chunk[:CHUNK]
        yield b"]}}"


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_ten_megabyte_history_answer_is_cut_off(declared: bool) -> None:
    """Declared or streamed, 10 MB over a 1 MB limit fails fast as ``too_large``."""
    body = _Body()

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"content-length": str(TEN_MB)} if declared else {}
        return httpx.Response(200, headers=headers, stream=body)

    client = HistoryClient(
        httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        "http://sim.test",
        max_bytes=1024 * 1024,
    )
    with pytest.raises(HistoryError) as caught:
        await client.fetch_history(START, END, [STREAM])
    assert caught.value.kind == "too_large"
    assert not caught.value.retryable
    # Reading stopped at the limit: never the whole 10 MB in memory.
    assert body.sent <= (0 if declared else 1024 * 1024 + 70 * 1000)


# --- history: speed --------------------------------------------------------------------------


class _Trickler:
    """A raw HTTP server on 127.0.0.1 that answers one byte every ``every`` seconds."""

    def __init__(self, headers_first: bool, every: float = 0.05, limit_s: float = 20.0) -> None:
        self.headers_first = headers_first
        self.every = every
        self.limit_s = limit_s
        self.port = 0
        self.client_gone = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> _Trickler:
        self._server = await asyncio.start_server(self._spawn, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def _spawn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        )
        if self.headers_first:
            writer.write(head)
            drip = b'{"timeRange":{},"streams":{}}' + b" " * 99_970
        else:
            drip = head
        deadline = asyncio.get_running_loop().time() + self.limit_s
        try:
            for byte in drip:
                if asyncio.get_running_loop().time() > deadline:
                    break
                writer.write(bytes([byte]))
                await writer.drain()
                # The drip rate is the behaviour under test; the client must cut it off.
                await asyncio.sleep(self.every)
                if reader.at_eof():
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            self.client_gone.set()
            writer.close()


@pytest.mark.parametrize("headers_first", [True, False], ids=["slow-body", "slow-headers"])
async def test_trickling_history_server_is_cut_off_by_the_timeout(headers_first: bool) -> None:
    """A byte every 50 ms never trips a read timeout, but the whole request has 1 s."""
    timeout = 1.0
    async with _Trickler(headers_first) as server, httpx.AsyncClient() as http:
        client = HistoryClient(http, f"http://127.0.0.1:{server.port}", timeout=timeout)
        started = time.monotonic()
        with pytest.raises(HistoryError) as caught:
            await client.fetch_history(START, END, [STREAM])
        elapsed = time.monotonic() - started
        assert caught.value.kind == "timeout" and caught.value.retryable
        assert timeout <= elapsed < timeout + 1.0, elapsed
        # The connection is given up, not left open: the server sees the client leave.
        async with asyncio.timeout(WAIT):
            await server.client_gone.wait()
