"""HistoryLoader: seeding alongside live events, retries, on-demand loads, gap backfill."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from app.backoff import BackoffPolicy
from app.history import HistoryError, HistoryLoader, StreamLoad
from app.protocol import HistoryResult, HistorySample, StreamEvent
from app.protocol.models import STREAM_EVENT
from app.stores.streams import StreamStore
from app.stores.types import Gap, GapState, Source

from .fakes import WAIT, FakeSource, Sleeps, buckets, not_found, unavailable, wait_for

NOW_MS = 1_795_000_000_000 // 300_000 * 300_000
DAY_MS = 86_400_000
STREAM = "customer.tutor.search"
OTHER = "supply.tutor.signup"


def clock() -> float:
    """The tests' fixed now."""
    return NOW_MS / 1000


def live(ts_ms: int, value: float = 55.0, *, id: str | None = None) -> StreamEvent:
    """A live event of STREAM."""
    return STREAM_EVENT.validate_python(
        {
            "stream": STREAM,
            "timestamp": datetime.fromtimestamp(ts_ms / 1000, UTC),
            "normalizedValue": value,
            "anomalyFlag": "normal",
            "id": id,
        }
    )


EXACT = BackoffPolicy(jitter=0.0)
"""The process's retry policy without jitter: 1, 2, 4, ..."""


@pytest.fixture
def store() -> StreamStore:
    """A store at the tests' fixed time."""
    return StreamStore(clock=clock)


@pytest.fixture
async def make_loader(
    store: StreamStore,
) -> AsyncIterator[Callable[..., HistoryLoader]]:
    """Build a started loader over ``store``; every loader is stopped afterwards."""
    loaders: list[HistoryLoader] = []

    def build(source: FakeSource, streams: tuple[str, ...] = (STREAM,), **kw: Any) -> HistoryLoader:
        kw.setdefault("sleep", Sleeps())
        kw.setdefault("history_days", 1)
        loader = HistoryLoader(source, store, streams, clock=clock, backoff=EXACT, **kw)
        loader.start()
        loaders.append(loader)
        return loader

    yield build
    for loader in loaders:
        await loader.stop()


def state_of(gap: Gap) -> GapState:
    """A gap's state, read afresh (the loader changes it behind the test's back)."""
    return gap.state


async def test_seed_loads_the_configured_streams(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """At start the last history_days of every stream are loaded in one request."""
    source = FakeSource()
    loader = make_loader(source, (STREAM, OTHER))
    assert await loader.wait_seeded()
    assert source.calls == [(NOW_MS - DAY_MS, NOW_MS, (STREAM, OTHER))]
    state = loader.state(STREAM)
    assert (state.status, state.error, state.attempts, state.points) == ("loaded", None, 1, 289)
    assert state.loaded_at == datetime.fromtimestamp(clock(), UTC)
    assert store.stats(OTHER).history_points == 289
    assert [p.source for p in store.series(STREAM)] == [Source.HISTORY] * 289


async def test_live_events_during_the_seed_are_kept_without_duplicates(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """Events arriving while history loads survive, and overlapping ones are not doubled."""
    overlap = [HistorySample(NOW_MS - 60_000, 61.0, None, "normal", "ev-1")]
    history = buckets(NOW_MS - DAY_MS, NOW_MS) + overlap
    source = FakeSource(HistoryResult("contract", None, None, {STREAM: history}))
    source.gate = asyncio.Event()
    loader = make_loader(source)
    async with asyncio.timeout(WAIT):
        await source.called.wait()
    assert loader.state(STREAM).status == "loading"
    during = [live(NOW_MS - 60_000, 61.0, id="ev-1"), live(NOW_MS - 30_000, id="ev-2")]
    store.add_events(during)
    source.gate.set()
    assert await loader.wait_seeded()
    store.add_events([live(NOW_MS - 10_000, id="ev-3"), live(NOW_MS - 30_000, id="ev-2")])

    reference = StreamStore(clock=clock)
    reference.add_history({STREAM: history})
    reference.add_events([*during, live(NOW_MS - 10_000, id="ev-3")])
    assert [(p.ts_ms, p.normalized) for p in store.series(STREAM)] == [
        (p.ts_ms, p.normalized) for p in reference.series(STREAM)
    ]
    assert len(store.series(STREAM)) == 289 + 3
    assert store.duplicates_dropped == 2  # ev-1 from history, ev-2 replayed


async def test_failures_are_retried_with_backoff_while_live_data_flows(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """Two 503s, then success; the page sees the error and the next retry meanwhile."""
    seen: list[StreamLoad] = []

    def during_backoff(delay: float) -> None:
        state = loader.state(STREAM)
        seen.append(StreamLoad(STREAM, state.status, state.error, None, 0, state.attempts))
        assert state.next_retry_at is not None
        store.add_events([live(NOW_MS - 1000 * len(seen), id=f"live-{len(seen)}")])

    sleeps = Sleeps(during_backoff)
    source = FakeSource(unavailable(), unavailable())
    loader = make_loader(source, sleep=sleeps)
    assert await loader.wait_seeded()
    assert sleeps.delays == [1.0, 2.0]
    assert [(s.status, s.attempts) for s in seen] == [("error", 1), ("error", 2)]
    assert seen[0].error == "server answered 503: busy"
    state = loader.state(STREAM)
    assert (state.status, state.error, state.attempts) == ("loaded", None, 3)
    assert store.stats(STREAM).live_points == 2
    assert store.stats(STREAM).history_points == 289


async def test_attempts_are_bounded_and_retry_recovers(
    make_loader: Callable[..., HistoryLoader],
) -> None:
    """After max_attempts the stream shows the error; retry() then loads it."""
    source = FakeSource(unavailable(), unavailable(), unavailable())
    loader = make_loader(source, max_attempts=3)
    assert not await loader.wait_seeded()
    state = loader.state(STREAM)
    assert (state.status, state.error, state.next_retry_at) == (
        "error",
        "server answered 503: busy",
        None,
    )
    assert len(source.calls) == 3
    assert await loader.retry(STREAM)
    assert loader.state(STREAM).status == "loaded"
    assert loader.state(STREAM).error is None


async def test_non_retryable_errors_are_not_retried(
    make_loader: Callable[..., HistoryLoader],
) -> None:
    """A 404 is shown at once, without waiting through the backoff."""
    sleeps = Sleeps()
    source = FakeSource(not_found())
    loader = make_loader(source, sleep=sleeps)
    assert not await loader.wait_seeded()
    assert len(source.calls) == 1 and sleeps.delays == []
    assert "STREAM_NOT_FOUND" in (loader.state(STREAM).error or "")


async def test_a_stream_unknown_to_the_server_does_not_cost_the_others_their_history(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """The seed's one request is refused (404): each stream is then asked for on its own."""
    source = FakeSource(unknown={"retired.stream"})
    loader = make_loader(source, (STREAM, "retired.stream", OTHER))
    assert not await loader.wait_seeded()
    assert [c[2] for c in source.calls] == [
        (STREAM, "retired.stream", OTHER),
        (STREAM,),
        ("retired.stream",),
        (OTHER,),
    ]
    assert loader.state(STREAM).status == loader.state(OTHER).status == "loaded"
    assert store.stats(STREAM).history_points == store.stats(OTHER).history_points == 289
    retired = loader.state("retired.stream")
    assert retired.status == "error" and "STREAM_NOT_FOUND" in (retired.error or "")


async def test_an_answer_over_the_size_limit_is_asked_for_stream_by_stream(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """Too large for one answer: each stream's own answer is smaller and may pass."""
    too_large = HistoryError("history answer too large", kind="too_large")
    source = FakeSource(too_large)
    loader = make_loader(source, (STREAM, OTHER))
    assert await loader.wait_seeded()
    assert [c[2] for c in source.calls] == [(STREAM, OTHER), (STREAM,), (OTHER,)]
    assert store.stats(OTHER).history_points == 289


async def test_a_server_fault_is_not_split_into_one_request_per_stream(
    make_loader: Callable[..., HistoryLoader],
) -> None:
    """A 5xx after every retry is the server's trouble: no flood of per-stream requests."""
    source = FakeSource(*[unavailable()] * 3)
    loader = make_loader(source, (STREAM, OTHER), max_attempts=3)
    assert not await loader.wait_seeded()
    assert len(source.calls) == 3 and all(c[2] == (STREAM, OTHER) for c in source.calls)
    assert loader.state(OTHER).status == "error"


async def test_load_on_demand_is_idempotent(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """The selector's load() fetches a new stream once; concurrent calls share the fetch."""
    source = FakeSource()
    loader = make_loader(source)
    await loader.wait_seeded()
    assert loader.state(OTHER).status == "idle"
    results = await asyncio.gather(loader.load(OTHER), loader.load(OTHER))
    assert list(results) == [True, True]
    assert await loader.load(OTHER)
    assert [c[2] for c in source.calls] == [(STREAM,), (OTHER,)]
    assert store.stats(OTHER).history_points == 289


async def test_state_changes_are_observable(make_loader: Callable[..., HistoryLoader]) -> None:
    """The model's version grows and listeners hear every transition of a load."""
    source = FakeSource()
    source.gate = asyncio.Event()
    loader = make_loader(source)
    statuses: list[str] = []
    loader.model.on_change(lambda: statuses.append(loader.state(STREAM).status))
    version = loader.model.version
    source.gate.set()
    await loader.wait_seeded()
    assert loader.model.version > version
    assert statuses[-1] == "loaded"


async def test_recorded_gap_is_backfilled(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """A gap's window is fetched, points inside it merge as backfill, and it is filled."""
    source = FakeSource()
    loader = make_loader(source, history_days=0.01)
    await loader.wait_seeded()
    store.add_events([live(NOW_MS - 3_600_000, id="a"), live(NOW_MS - 60_000, id="b")])
    gap = store.record_gap(STREAM, NOW_MS - 3_000_000, NOW_MS - 1_000_000)
    await wait_for(loader, lambda: loader.model.gaps_filled == 1)
    assert source.calls[-1] == (NOW_MS - 3_000_000, NOW_MS - 1_000_000, (STREAM,))
    assert gap.state == "filled"
    backfilled = [p for p in store.series(STREAM) if p.source is Source.BACKFILL]
    assert backfilled and all(
        NOW_MS - 3_000_000 <= p.ts_ms <= NOW_MS - 1_000_000 for p in backfilled
    )
    assert all(p.normalized is not None for p in store.series(STREAM))
    assert store.backfilled_points == len(backfilled)


async def test_gap_with_no_data_stays_a_visible_break(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """An empty answer for the window marks the gap unfillable; the null point stays."""
    source = FakeSource(empty=True)
    loader = make_loader(source)
    await loader.wait_seeded()
    store.add_events([live(NOW_MS - 3_600_000, id="a"), live(NOW_MS - 60_000, id="b")])
    gap = store.record_gap(STREAM, NOW_MS - 3_000_000, NOW_MS - 1_000_000)
    await wait_for(loader, lambda: loader.model.gaps_unfillable == 1)
    assert gap.state == "unfillable"
    assert [p.normalized for p in store.series(STREAM)] == [55.0, None, 55.0]


async def test_gap_is_unfillable_when_buckets_miss_the_window(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """Buckets around but not inside a short gap do not fill it."""
    outside = HistoryResult("contract", None, None, {STREAM: buckets(NOW_MS - DAY_MS, NOW_MS)})
    source = FakeSource(HistoryResult("contract", None, None, {}), outside)
    loader = make_loader(source)
    await loader.wait_seeded()
    gap = store.record_gap(STREAM, NOW_MS - 299_000, NOW_MS - 1_000)
    await wait_for(loader, lambda: gap.state == "unfillable")
    assert store.backfilled_points == 0


async def test_gap_is_unfillable_after_failed_retries_and_can_be_retried(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """Errors on every attempt leave the gap unfillable; retry_gaps() fills it later."""
    sleeps = Sleeps()
    source = FakeSource(HistoryResult("contract", None, None, {}), *[unavailable()] * 2)
    loader = make_loader(source, gap_attempts=2, sleep=sleeps)
    await loader.wait_seeded()
    gap = store.record_gap(STREAM, NOW_MS - 3_000_000, NOW_MS - 1_000_000)
    await wait_for(loader, lambda: loader.model.gaps_unfillable == 1)
    assert state_of(gap) == "unfillable" and sleeps.delays == [1.0]
    assert loader.retry_gaps() == 1
    await wait_for(loader, lambda: loader.model.gaps_filled == 1)
    assert state_of(gap) == "filled"


async def test_gaps_recorded_before_start_are_backfilled(store: StreamStore) -> None:
    """Open gaps already in the store are picked up when the loader starts."""
    gap = store.record_gap(STREAM, NOW_MS - 3_000_000, NOW_MS - 1_000_000)
    loader = HistoryLoader(FakeSource(), store, [], clock=clock)
    loader.start()
    try:
        await wait_for(loader, lambda: gap.state == "filled")
    finally:
        await loader.stop()


async def test_stop_cancels_work_in_progress(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """stop() ends the task mid-request: waiting loads are cancelled, states reset."""
    source = FakeSource()
    source.gate = asyncio.Event()
    loader = make_loader(source)
    async with asyncio.timeout(WAIT):
        await source.called.wait()
    pending = asyncio.ensure_future(loader.load(OTHER))
    await asyncio.sleep(0)
    await loader.stop()
    assert not loader.running
    assert loader.state(STREAM).status == "idle"
    with pytest.raises(asyncio.CancelledError):
        await pending
    with pytest.raises(RuntimeError, match="start"):
        await loader.load(STREAM)


async def test_stop_returns_a_gap_being_filled_to_open(
    store: StreamStore, make_loader: Callable[..., HistoryLoader]
) -> None:
    """A backfill interrupted by stop() leaves its gap open for the next run."""
    source = FakeSource()
    loader = make_loader(source)
    await loader.wait_seeded()
    source.gate = asyncio.Event()
    source.called.clear()
    gap = store.record_gap(STREAM, NOW_MS - 3_000_000, NOW_MS - 1_000_000)
    async with asyncio.timeout(WAIT):
        await source.called.wait()
    assert state_of(gap) == "filling"
    await loader.stop()
    assert state_of(gap) == "open"


async def test_lifecycle_misuse_fails_at_once(store: StreamStore) -> None:
    """Commands before start(), and a second start(), raise precise errors."""
    loader = HistoryLoader(FakeSource(), store, [STREAM], clock=clock)
    with pytest.raises(RuntimeError, match="start"):
        await loader.retry(STREAM)
    loader.start()
    try:
        with pytest.raises(RuntimeError, match="twice"):
            loader.start()
    finally:
        await loader.stop()
    await loader.stop()  # stopping twice is harmless
    with pytest.raises(ValueError):
        HistoryLoader(FakeSource(), store, [STREAM], max_attempts=0)
