"""Helpers for tests of the connection manager: a recording sink, fake time, a running manager."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from app.backoff import BackoffPolicy
from app.config import Settings
from app.protocol import HistorySample, StreamEvent
from app.stores.connection import ConnectionStore
from app.stores.streams import StreamStore
from app.stores.types import AddResult, Gap, Source
from app.ws_client import ConnectionManager, Link, websocket_connector

TIMEOUT = 5.0
"""Upper bound for any single wait in these tests; real waits take milliseconds."""

FAST = BackoffPolicy(initial=0.01, maximum=0.05, jitter=0.0)
"""Real but short reconnect delays for end-to-end tests."""


class RecordingSink:
    """The real ``StreamStore``, plus a record of what was written and a change signal."""

    def __init__(self) -> None:
        self.store = StreamStore()
        self.writes: list[tuple[Source, list[StreamEvent]]] = []
        self.gaps: list[Gap] = []
        self._changed = asyncio.Event()

    def add_events(self, events: Sequence[StreamEvent], source: Source = Source.LIVE) -> AddResult:
        result = self.store.add_events(events, source)
        self.writes.append((source, list(events)))
        self._notify()
        return result

    def add_history(
        self, streams: Mapping[str, Sequence[HistorySample]], source: Source = Source.HISTORY
    ) -> AddResult:
        return self.store.add_history(streams, source)

    def record_gap(self, stream: str, start_ms: int, end_ms: int) -> Gap:
        gap = self.store.record_gap(stream, start_ms, end_ms)
        self.gaps.append(gap)
        self._notify()
        return gap

    def record_recovered(self, stream: str, start_ms: int, end_ms: int, events: int) -> Gap:
        entry = self.store.record_recovered(stream, start_ms, end_ms, events)
        self._notify()
        return entry

    def newest_event_ms(self, stream: str | None = None) -> int | None:
        return self.store.newest_event_ms(stream)

    def timestamps(self, stream: str = "customer.tutor.search") -> list[int]:
        """Timestamps of the plotted points of ``stream`` (one per stored event)."""
        return [p.ts_ms for p in self.store.series(stream) if p.normalized is not None]

    def received(self, source: Source | None = None) -> int:
        return sum(len(evs) for src, evs in self.writes if source in (None, src))

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            changed = self._changed
            await changed.wait()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class RecordingSleep:
    """An injected sleep: records each delay, advances the fake clock, returns at once.

    After ``block_after`` delays it blocks until cancelled (a manual reconnect cuts it),
    which parks the manager so a test can look at it.
    """

    def __init__(self, clock: FakeClock | None = None, block_after: int | None = None) -> None:
        self.delays: list[float] = []
        self.clock = clock
        self.block_after = block_after
        self._changed = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
        if self.clock is not None:
            self.clock.now += delay
        if self.block_after is not None and len(self.delays) >= self.block_after:
            await asyncio.Event().wait()
        await asyncio.sleep(0)

    async def wait_for_count(self, count: int) -> None:
        while len(self.delays) < count:
            changed = self._changed
            await changed.wait()


def make_settings(**overrides: Any) -> Settings:
    """Settings for tests: one topic, no env surprises, a given override or two."""
    values: dict[str, Any] = {"topics": ["customer.tutor.search"], "max_reconnect_attempts": 0}
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running(
    url: str, sink: RecordingSink, settings: Settings | None = None, **kwargs: Any
) -> AsyncIterator[ConnectionManager]:
    """A started manager against ``url`` (fast real backoff unless given), always stopped."""
    kwargs.setdefault("backoff", FAST)
    settings = settings or make_settings()
    store = ConnectionStore(url, settings.topics, settings.max_reconnect_attempts)
    manager = ConnectionManager(settings, sink, store, url=url, **kwargs)
    await manager.start()
    try:
        yield manager
    finally:
        async with asyncio.timeout(TIMEOUT):
            await manager.stop()


class FlakyConnector:
    """Refuses the first ``fail`` attempts (or all, while ``failing``), then really connects."""

    def __init__(self, fail: int = 0, failing: bool = False) -> None:
        self.fail = fail
        self.failing = failing
        self.calls = 0
        self._real = websocket_connector(open_timeout=2.0, max_frame_bytes=8 * 1024 * 1024)

    async def __call__(self, url: str) -> Link:
        self.calls += 1
        if self.failing or self.fail > 0:
            self.fail -= 1
            raise ConnectionRefusedError(f"scripted refusal #{self.calls}")
        return await self._real(url)


async def delivered(server: Any, sink: RecordingSink, count: int) -> list[dict[str, Any]]:
    """Once a client is subscribed, emit ``count`` events and wait until all are stored."""
    await server.wait_for(lambda: server.subscribed_clients() == 1)
    before = len(sink.timestamps())
    events: list[dict[str, Any]] = await server.emit(count)
    await sink.wait_for(lambda: len(sink.timestamps()) == before + count)
    return events
