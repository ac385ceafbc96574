"""Protocol-level heartbeat (uvicorn wsproto keepalive) and the slow-client bound."""

from __future__ import annotations

import asyncio
import json
import struct
import time
from collections.abc import Callable

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.simulator import SimulatorConfig
from tests.simulator.sim_helpers import (
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    TIMEOUT,
    RawClient,
    client,
    fast_config,
    run_server,
)

PING, PONG_TIMEOUT = 0.3, 0.6


def _keepalive_config(rate: float = 20.0) -> SimulatorConfig:
    return fast_config(rate=rate, ping_interval=PING, ping_timeout=PONG_TIMEOUT)


async def test_a_client_that_never_pongs_is_closed_after_the_pong_timeout() -> None:
    """No pong for ping_timeout: the server sends close 1011 and drops the link."""
    async with run_server(_keepalive_config()) as srv:
        raw = await RawClient.connect(srv.port)
        started = time.monotonic()
        pings = 0
        async with asyncio.timeout(TIMEOUT):
            while True:
                opcode, payload = await raw.read_frame()
                if opcode == OP_PING:
                    pings += 1
                elif opcode == OP_CLOSE:
                    break
        elapsed = time.monotonic() - started
        assert pings >= 1
        assert struct.unpack("!H", payload[:2])[0] == 1011
        assert PONG_TIMEOUT * 0.8 <= elapsed <= PONG_TIMEOUT + 1.0
        await raw.close()


async def test_a_client_that_pongs_stays_connected_across_pings() -> None:
    """Answering every ping keeps the link open well past the pong timeout."""
    async with run_server(_keepalive_config()) as srv:
        raw = await RawClient.connect(srv.port)
        raw.send_frame(OP_TEXT, json.dumps({"type": "subscribe", "topics": ["*"]}).encode())
        pings = 0
        started = time.monotonic()
        async with asyncio.timeout(TIMEOUT):
            while pings < 5:
                opcode, payload = await raw.read_frame()
                assert opcode != OP_CLOSE, payload
                if opcode == OP_PING:
                    pings += 1
                    raw.send_frame(OP_PONG, payload)
        assert time.monotonic() - started > 2 * PONG_TIMEOUT
        await raw.close()


async def test_a_websockets_client_stays_connected_across_several_pings() -> None:
    """The ``websockets`` client's automatic pongs keep it connected; events keep coming."""
    async with (
        run_server(_keepalive_config(rate=50)) as srv,
        client(srv, ping_interval=None) as ws,
    ):
        await ws.send(json.dumps({"type": "subscribe", "topics": ["*"]}))
        started = time.monotonic()
        async with asyncio.timeout(TIMEOUT):
            while time.monotonic() - started < 4 * PONG_TIMEOUT:
                message = json.loads(await ws.recv())
                assert message["type"] != "error"
        await ws.send(json.dumps({"type": "subscribe", "topics": ["api.*"]}))


async def test_a_slow_client_is_closed_without_slowing_the_others() -> None:
    """A client that stops reading is closed with 1008; a reading client keeps receiving."""
    config = fast_config(
        rate=300, max_client_queue_bytes=256 * 1024, ping_interval=30, ping_timeout=60
    )
    async with (
        run_server(config) as srv,
        connect(srv.ws, max_queue=1) as slow,
        client(srv) as fast,
    ):
        await slow.send(json.dumps({"type": "subscribe", "topics": ["*"]}))
        await fast.send(json.dumps({"type": "subscribe", "topics": ["*"]}))
        kinds: list[str] = []
        frame = asyncio.Event()

        async def keep_reading() -> None:
            # The fast client reads all along, also while the test drains the slow one.
            try:
                async for message in fast:
                    kinds.append(json.loads(message)["type"])
                    frame.set()
            finally:
                frame.set()  # a closed reader wakes the waits, which then see it done

        async def until(condition: Callable[[], bool]) -> None:
            while not condition():  # checked again at each frame the fast client reads
                frame.clear()
                await frame.wait()

        reader = asyncio.create_task(keep_reading())
        try:
            async with asyncio.timeout(TIMEOUT * 2):
                await until(lambda: len(srv.sim.engine.subscribers) <= 1)
            assert len(kinds) > 10
            with pytest.raises(ConnectionClosed) as closed:
                async with asyncio.timeout(TIMEOUT):
                    while True:
                        await slow.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
            seen = len(kinds)
            async with asyncio.timeout(TIMEOUT):
                await until(lambda: len(kinds) >= seen + 20 or reader.done())
            assert not reader.done(), "the reading client was closed too"
            assert set(kinds[seen:]) <= {"event", "batch"}
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)


@pytest.mark.parametrize("interval", [PING])
async def test_uvicorn_options_map_the_pong_timeout(interval: float) -> None:
    """uvicorn waits ping_timeout - ping_interval after a ping: no pong for ping_timeout."""
    options = _keepalive_config().uvicorn_options()
    assert options["ws_ping_interval"] == interval
    assert options["ws_ping_timeout"] == pytest.approx(PONG_TIMEOUT - interval)
    assert options["ws_max_size"] == 1024 * 1024
