"""A half-open link: a proxy stops forwarding without closing; the client notices within
its silence limit, reconnects through the proxy, and catch-up leaves no hole."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from app.config import Settings
from app.protocol.topics import expand
from app.simulator.catalog import load_catalog
from app.stores.connection import ConnectionState
from app.stores.streams import StreamStore
from app.ws_client import ConnectionManager
from tests.support.expected import Row, check_series
from tests.support.processes import Process, free_port, start_simulator
from tests.support.proxy import FreezableProxy

pytestmark = pytest.mark.timeout(45)

SILENCE_LIMIT = 1.0
RATE = 50.0
SEED = 7
TOPICS = ["customer.*"]
WAIT = 15.0
"""Upper bound of any one wait here; the real waits take about a second."""
SLACK = 1.5
"""Scheduling allowance on a shared, noisy machine."""


@pytest.fixture(scope="module")
def simulator() -> Iterator[Process]:
    """An external simulator process."""
    proc = start_simulator(free_port(), "--seed", str(SEED), rate=RATE)
    yield proc
    proc.stop()


@pytest.fixture
async def proxy(simulator: Process) -> AsyncIterator[FreezableProxy]:
    """A freezable TCP proxy in front of the simulator."""
    port = int(simulator.url.rsplit(":", 1)[1])
    prox = FreezableProxy(port)
    await prox.start()
    yield prox
    await prox.close()


async def _until(predicate: object, what: str) -> None:
    """Poll ``predicate()`` every 20 ms until true, for at most WAIT seconds."""
    assert callable(predicate)
    try:
        async with asyncio.timeout(WAIT):
            while not predicate():  # noqa: ASYNC110 - the store offers no change event
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"not within {WAIT:g} s: {what}") from None


async def test_half_open_link_is_detected_within_the_silence_limit_and_recovered(
    proxy: FreezableProxy,
) -> None:
    """Frozen link: dead within the limit, reconnected through the proxy, nothing lost."""
    settings = Settings(
        simulator_url=f"http://127.0.0.1:{proxy.port}",
        topics=TOPICS,
        silence_limit=SILENCE_LIMIT,
        backoff_initial=0.05,
        backoff_max=0.2,
    )
    store = StreamStore()
    manager = ConnectionManager(settings, store)
    conn = manager.store
    async with manager:
        await _until(lambda: conn.events_received >= 20, "live events")
        assert proxy.freeze() == 1
        frozen_at = time.monotonic()
        async with asyncio.timeout(SILENCE_LIMIT + WAIT):
            await manager.wait_for_state(ConnectionState.RECONNECTING)
        detected = time.monotonic() - frozen_at
        assert conn.reason_code == "silence", conn.reason
        # Dead once the last inbound bytes (just before the freeze) are a limit old.
        assert 0 < detected <= SILENCE_LIMIT + SLACK, detected

        async with asyncio.timeout(WAIT):
            await manager.wait_for_state(ConnectionState.CONNECTED)
        assert proxy.accepted == 2
        resumed = conn.events_received
        resumed_at = time.time()
        await _until(
            lambda: (store.newest_event_ms() or 0) > (resumed_at + 2.0) * 1000,
            "live events 2 s after the reconnect",
        )
        assert conn.events_received > resumed
        audited_until = int(time.time() * 1000) - 1_000

    streams = expand(TOPICS, load_catalog().names)
    rows = {
        s: [Row(p.ts_ms, p.normalized, p.source.value) for p in store.series(s)] for s in streams
    }
    first = min(r.ts_ms for rs in rows.values() for r in rs)
    checks = [check_series(s, rows[s], first, audited_until, seed=SEED, rate=RATE) for s in streams]
    assert all(c.exact for c in checks), [c.summary() for c in checks if not c.exact]
    assert not store.gaps()
    assert sum(c.expected for c in checks) > 50
