"""The history client and loader against the embedded simulator's ASGI app (no sockets)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.history import HistoryClient, HistoryError, HistoryLoader
from app.simulator.app import create_app
from app.simulator.config import SimulatorConfig
from app.stores.streams import StreamStore
from app.stores.types import Source

from .fakes import wait_for

STREAM = "customer.tutor.search"


@pytest.fixture
async def client() -> AsyncIterator[HistoryClient]:
    """A HistoryClient talking to a fresh embedded simulator in-process."""
    app = create_app(SimulatorConfig(prefill=False))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport) as http:
        yield HistoryClient(http, "http://simulator")


async def test_simulator_history_parses(client: HistoryClient) -> None:
    """A day of one stream: 5-minute buckets in time order with values 0-100."""
    end = datetime.now(UTC)
    result = await client.fetch_history(end - timedelta(days=1), end, [STREAM])
    samples = result.streams[STREAM]
    assert 280 <= len(samples) <= 290
    assert [s.ts_ms for s in samples] == sorted(s.ts_ms for s in samples)
    assert all(s.normalized is not None and 0 <= s.normalized <= 100 for s in samples)


async def test_simulator_errors_become_history_errors(client: HistoryClient) -> None:
    """Unknown streams and too long windows come back as HistoryError with the code."""
    end = datetime.now(UTC)
    with pytest.raises(HistoryError) as unknown:
        await client.fetch_history(end - timedelta(hours=1), end, ["no.such.stream"])
    assert (unknown.value.status, unknown.value.code) == (404, "STREAM_NOT_FOUND")
    with pytest.raises(HistoryError) as too_long:
        await client.fetch_history(end - timedelta(days=40), end, [STREAM])
    assert (too_long.value.status, too_long.value.code) == (400, "INVALID_TIME_RANGE")
    assert not too_long.value.retryable


async def test_loader_seeds_and_backfills_from_the_simulator(client: HistoryClient) -> None:
    """Seed from the simulator, then fill a wide gap and mark a between-buckets one."""
    store = StreamStore()
    loader = HistoryLoader(client, store, [STREAM], history_days=1)
    loader.start()
    try:
        assert await loader.wait_seeded()
        stamps = [p.ts_ms for p in store.series(STREAM)]
        assert len(stamps) >= 280

        wide = store.record_gap(STREAM, stamps[100] - 1, stamps[110] + 1)
        narrow = store.record_gap(STREAM, stamps[200] + 1000, stamps[201] - 1000)
        await wait_for(loader, lambda: {wide.state, narrow.state} <= {"filled", "unfillable"})
        assert (wide.state, narrow.state) == ("filled", "unfillable")
        gap_points = [p for p in store.series(STREAM) if p.source is Source.GAP]
        assert [p.normalized for p in gap_points] == [None]
        assert stamps[200] < gap_points[0].ts_ms < stamps[201]
    finally:
        await loader.stop()


async def test_seed_with_a_stream_the_simulator_does_not_know(client: HistoryClient) -> None:
    """The real 404 STREAM_NOT_FOUND: the known stream still gets its day of history."""
    store = StreamStore()
    loader = HistoryLoader(client, store, [STREAM, "no.such.stream"], history_days=1)
    loader.start()
    try:
        assert not await loader.wait_seeded()
        assert loader.state(STREAM).status == "loaded"
        assert store.stats(STREAM).history_points >= 280
        unknown = loader.state("no.such.stream")
        assert unknown.status == "error" and "STREAM_NOT_FOUND" in (unknown.error or "")
    finally:
        await loader.stop()
