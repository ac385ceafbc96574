"""The manager against the embedded simulator, served by uvicorn on an ephemeral port."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable

import pytest
import uvicorn

from app.simulator import SimulatorConfig, create_app, serve_options
from app.stores.connection import ConnectionState
from app.stores.types import Source
from tests.support.manager import TIMEOUT, RecordingSink, make_settings, running

TOPIC = "customer.*"


def weekday_noon_clock() -> Callable[[], float]:
    """Real-speed time from the latest weekday 12:00 UTC, so rates do not hang on the hour."""
    day = 86_400
    now = time.time()
    noon = now - now % day + day / 2
    while noon > now or time.gmtime(noon).tm_wday >= 5:
        noon -= day
    offset = noon - now
    return lambda: time.time() + offset


CLOCK = weekday_noon_clock()


class SimulatorServer:
    """A fast simulator served by uvicorn on 127.0.0.1; restartable on the same port."""

    def __init__(self) -> None:
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def start(self) -> None:
        config = SimulatorConfig(clock=CLOCK, seed=7, rate=20.0, flush_interval_s=0.05)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        app = create_app(config)
        server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", lifespan="on", **serve_options(config))
        )
        self._server, self._sock = server, sock
        self._task = asyncio.create_task(server.serve(sockets=[sock]))
        async with asyncio.timeout(TIMEOUT):
            while not server.started:  # uvicorn offers no start event to wait on
                if self._task.done():
                    self._task.result()
                await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None and self._sock is not None:
            self._server.should_exit = True
            await self._task
            self._sock.close()
        self._server = self._task = self._sock = None


@pytest.fixture
async def sim() -> AsyncIterator[SimulatorServer]:
    """A started simulator, stopped after the test."""
    server = SimulatorServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_simulator_restart_is_bridged_by_catchup(
    sim: SimulatorServer, sink: RecordingSink
) -> None:
    """Live events flow; after a simulator restart catch-up refills without gaps or doubles."""
    settings = make_settings(topics=[TOPIC])
    async with running(sim.url, sink, settings) as manager, asyncio.timeout(3 * TIMEOUT):
        await sink.wait_for(lambda: sink.received(Source.LIVE) >= 20)
        assert manager.store.confirmed_topics == [TOPIC]
        await sim.stop()
        await manager.wait_for_state(ConnectionState.RECONNECTING)
        await sim.start()
        await manager.wait_for_state(ConnectionState.CONNECTED)
        live_before = sink.received(Source.LIVE)
        await sink.wait_for(lambda: sink.received(Source.LIVE) >= live_before + 20)
        store = manager.store
        assert store.reconnects == 1
        assert store.catchup_events > 0
        assert sink.store.duplicates_dropped > 0  # the overlap, dropped by the store
        assert sink.gaps == []
        assert store.malformed_messages == 0
        ids = [e["id"] for _, events in sink.writes for e in events]
        assert None not in ids
        accepted = len(set(ids))
        assert store.events_received - sink.store.duplicates_dropped == accepted
