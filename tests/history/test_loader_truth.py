"""The loader stores only what was asked for, under the stream each point names."""

from __future__ import annotations

import asyncio

import pytest

from app.backoff import BackoffPolicy
from app.history import HistoryLoader
from app.protocol import HistoryResult
from app.stores.external import ExternalEventStore
from app.stores.streams import StreamStore
from tests.history.fakes import FakeSource, Sleeps, buckets

NOW_MS = 1_795_000_000_000
STREAM, OTHER, STRANGER = "customer.tutor.search", "tutor.payout.initiated", "session.started"


def clock() -> float:
    return NOW_MS / 1000


@pytest.fixture
def store() -> StreamStore:
    return StreamStore(clock=clock)


async def test_streams_nobody_asked_for_are_counted_not_stored(store: StreamStore) -> None:
    """An answer that also holds another stream's points keeps them off every chart."""
    points = buckets(NOW_MS - 3_600_000, NOW_MS)
    answer = HistoryResult(
        "original",
        None,
        None,
        {STREAM: points, STRANGER: points[:5]},
        rejected={"bad_timestamp": 2, "bad_stream_name": 1},
    )
    loader = HistoryLoader(
        FakeSource(answer), store, (STREAM, OTHER), history_days=1, clock=clock,
        backoff=BackoffPolicy(jitter=0.0), sleep=Sleeps(),
    )  # fmt: skip
    loader.start()
    try:
        await loader.wait_seeded()
    finally:
        await loader.stop()
    assert store.stats(STREAM).history_points == len(points)
    assert store.stats(STRANGER).history_points == 0 and STRANGER not in store.stream_names()
    assert loader.model.rejected_by_kind == {
        "bad_timestamp": 2,
        "bad_stream_name": 1,
        "unrequested_stream": 5,
    }


async def test_seed_comes_in_steps_and_never_fetches_a_point_twice(store: StreamStore) -> None:
    """The page's stream first, then the last hour of the rest, then the rest of their week:
    the grid has values early and no bucket is fetched (or counted as a duplicate) twice."""
    source = FakeSource()
    loader = HistoryLoader(
        source, store, (STREAM, OTHER, STRANGER), history_days=1, clock=clock,
        backoff=BackoffPolicy(jitter=0.0), sleep=Sleeps(), preview=True,
    )  # fmt: skip
    loader.start(first=[OTHER])
    try:
        assert await loader.wait_seeded()
    finally:
        await loader.stop()
    day, hour = 86_400_000, 3_600_000
    assert source.calls == [
        (NOW_MS - day, NOW_MS, (OTHER,)),
        (NOW_MS - hour, NOW_MS, (STREAM, STRANGER)),
        (NOW_MS - day, NOW_MS - hour, (STREAM, STRANGER)),
    ]
    assert store.duplicates_dropped == 0
    assert store.stats(STREAM).history_points == store.stats(OTHER).history_points == 288


async def test_the_rest_of_the_seed_waits_for_its_gate(store: StreamStore) -> None:
    """The first stream and the preview come at once; the rest of the window only after
    ``before_rest`` returns (the app opens it when the first tab connects)."""
    source = FakeSource()
    loader = HistoryLoader(
        source, store, (STREAM, OTHER), history_days=1, clock=clock,
        backoff=BackoffPolicy(jitter=0.0), sleep=Sleeps(), preview=True,
    )  # fmt: skip
    gate, waiting = asyncio.Event(), asyncio.Event()

    async def before_rest() -> None:
        waiting.set()
        await gate.wait()

    loader.start(first=[STREAM], before_rest=before_rest)
    try:
        async with asyncio.timeout(5):
            await waiting.wait()
        assert [call[2] for call in source.calls] == [(STREAM,), (OTHER,)]  # first, preview
        assert store.stats(OTHER).history_points == 12  # the last hour: grid values
        gate.set()
        assert await loader.wait_seeded()
    finally:
        await loader.stop()
    assert [call[2] for call in source.calls] == [(STREAM,), (OTHER,), (OTHER,)]
    assert store.stats(OTHER).history_points == 288


async def test_external_events_of_history_answers_go_to_their_store(store: StreamStore) -> None:
    """The seed's events land in the external events store, once each; bad ones counted."""
    event = {"id": "ext-1", "timestamp": "2026-11-18T08:00:00Z", "type": "academic", "title": "x"}
    answer = HistoryResult(
        "contract",
        None,
        None,
        {STREAM: buckets(NOW_MS - 3_600_000, NOW_MS)},
        events=[event, event, {"title": "no id"}],
    )
    external = ExternalEventStore(clock=clock)
    loader = HistoryLoader(
        FakeSource(answer), store, (STREAM,), history_days=1, clock=clock,
        backoff=BackoffPolicy(jitter=0.0), sleep=Sleeps(), external=external,
    )  # fmt: skip
    assert loader.external is external
    loader.start()
    try:
        assert await loader.wait_seeded()
    finally:
        await loader.stop()
    assert [e.id for e in external.events()] == ["ext-1"]
    assert external.events()[0].sources == ("history",)
    assert external.rejected_by_kind == {"missing_id": 1}
