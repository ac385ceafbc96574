"""A scripted history source and waiting helpers for the loader tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

from app.history import HistoryError, HistoryLoader
from app.protocol import HistoryResult, HistorySample

BUCKET_MS = 5 * 60_000
WAIT = 5.0
"""Upper bound of every wait in these tests; they finish long before."""


def buckets(start_ms: int, end_ms: int, *, offset: int = 0) -> list[HistorySample]:
    """5-minute buckets in ``[start_ms, end_ms]``, with values that vary by time."""
    first = -(-start_ms // BUCKET_MS) * BUCKET_MS + offset
    return [
        HistorySample(ts, 40.0 + (ts // BUCKET_MS) % 20, 1.0, "normal")
        for ts in range(first, end_ms + 1, BUCKET_MS)
    ]


def ms(ts: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(ts.timestamp() * 1000)


Outcome = HistoryResult | HistoryError


class FakeSource:
    """Answers ``fetch_history`` from a script, then with 5-minute buckets of the window.

    ``gate``, when set, holds every request until the test opens it.
    """

    def __init__(self, *script: Outcome, empty: bool = False, unknown: Sequence[str] = ()) -> None:
        self.script = list(script)
        self.empty = empty
        self.unknown = set(unknown)
        """Streams this server does not know: a request naming one gets a 404."""
        self.calls: list[tuple[int, int, tuple[str, ...] | None]] = []
        self.gate: asyncio.Event | None = None
        self.called = asyncio.Event()

    async def fetch_history(
        self, start: datetime, end: datetime, streams: Sequence[str] | None = None
    ) -> HistoryResult:
        self.calls.append((ms(start), ms(end), None if streams is None else tuple(streams)))
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.unknown.intersection(streams or ()):
            raise not_found()
        outcome = self.script.pop(0) if self.script else self.window(start, end, streams or ())
        if isinstance(outcome, HistoryError):
            raise outcome
        return outcome

    def window(self, start: datetime, end: datetime, streams: Sequence[str]) -> HistoryResult:
        """Buckets of the window for each stream (none when ``empty``)."""
        samples = {} if self.empty else {s: buckets(ms(start), ms(end)) for s in streams}
        return HistoryResult("contract", start, end, samples)


def unavailable() -> HistoryError:
    """A retryable 503."""
    return HistoryError("server answered 503: busy", kind="http", status=503, retryable=True)


def not_found() -> HistoryError:
    """A 404 nobody should retry."""
    return HistoryError(
        "server answered 404 STREAM_NOT_FOUND: unknown stream",
        kind="http",
        status=404,
        code="STREAM_NOT_FOUND",
    )


class Sleeps:
    """An injected sleep that records delays and returns at once (after a yield)."""

    def __init__(self, during: Callable[[float], None] | None = None) -> None:
        self.delays: list[float] = []
        self.during = during

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self.during is not None:
            self.during(delay)
        await asyncio.sleep(0)


async def wait_for(loader: HistoryLoader, condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds, re-checked at every loader state change."""
    changed = asyncio.Event()
    unsubscribe = loader.model.on_change(changed.set)
    try:
        async with asyncio.timeout(WAIT):
            while not condition():
                await changed.wait()
                changed.clear()
    finally:
        unsubscribe()
