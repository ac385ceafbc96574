"""Properties of StreamStore: order independence and lossless replay of deltas."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from app.protocol import StreamEvent
from app.stores.streams import Point, StreamStore
from app.stores.types import Source

from .factory import NOW_MS, OTHER, STREAM, clock_at, event, sample

MIN = 60_000


@st.composite
def event_sets(draw: st.DrawFn) -> list[StreamEvent]:
    """Distinct events of two streams, keyed by id, seq or payload, many sharing a time."""
    n = draw(st.integers(1, 60))
    times = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    values = draw(st.lists(st.sampled_from([10.0, 50.0, 90.0]), min_size=n, max_size=n))
    kind = draw(st.sampled_from(["id", "seq", "payload"]))
    events = []
    for i, (t, v) in enumerate(zip(times, values, strict=True)):
        stream = STREAM if i % 3 else OTHER
        ts = NOW_MS - 10_000 + t * 100
        if kind == "id":
            events.append(event(ts, v, stream=stream, id=f"e{i}"))
        elif kind == "seq":
            events.append(event(ts, v, stream=stream, seq=i))
        else:
            events.append(event(ts, v, stream=stream, data={"i": i, "nested": {"k": [i]}}))
    return events


def store_now() -> StreamStore:
    """A store at a fixed time, with room for everything the tests write."""
    return StreamStore(clock=lambda: clock_at(NOW_MS))


def deliver(store: StreamStore, events: list[StreamEvent], cuts: list[int]) -> None:
    """Write ``events`` in batches cut at ``cuts``."""
    bounds = [0, *sorted(c % (len(events) + 1) for c in cuts), len(events)]
    for a, b in itertools.pairwise(bounds):
        store.add_events(events[a:b])


@settings(max_examples=150, deadline=None)
@given(
    events=event_sets(),
    data=st.data(),
)
def test_any_interleaving_permutation_or_duplication_gives_the_same_series(
    events: list[StreamEvent], data: st.DataObject
) -> None:
    """Order, batching and repeats of the same events never change the merged series."""
    reference = store_now()
    reference.add_events(sorted(events, key=lambda e: e["timestamp"]))

    shuffled = data.draw(st.permutations(events))
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=30))
    mixed = data.draw(st.permutations(shuffled + repeats))
    cuts = data.draw(st.lists(st.integers(0, 200), max_size=8))
    store = store_now()
    deliver(store, mixed, cuts)

    for name in (STREAM, OTHER):
        assert store.series(name) == reference.series(name)
    assert store.duplicates_dropped == len(repeats)


@dataclass
class Page:
    """A browser-side copy of one series, kept up to date from deltas only."""

    version: int = 0
    points: list[Point] | None = None

    def sync(self, store: StreamStore) -> None:
        delta = store.changes_since(STREAM, self.version)
        if self.points is None or delta.reset:
            assert delta.reset or self.points is None
            self.points = list(delta.points)
        else:
            assert delta.trimmed <= len(self.points)
            del self.points[: delta.trimmed]
            self.points.extend(delta.points)
        self.version = delta.version


operations = st.one_of(
    st.tuples(st.just("live"), st.lists(st.integers(-200, 400), min_size=1, max_size=12)),
    st.tuples(st.just("history"), st.lists(st.integers(-200, 400), min_size=1, max_size=12)),
    st.tuples(st.just("other"), st.integers(0, 400)),
    st.tuples(st.just("gap"), st.integers(-200, 400)),
    st.tuples(st.just("gap_state"), st.sampled_from(["filling", "filled", "unfillable", "open"])),
    st.tuples(st.just("tick"), st.integers(0, 120)),
    st.tuples(st.just("sync"), st.none()),
)


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(operations, max_size=40), cap=st.sampled_from([5, 20, 1000]))
def test_replaying_changes_since_reconstructs_the_series(
    ops: list[tuple[str, object]], cap: int
) -> None:
    """A page applying every delta (appends, trims, resets) always equals series()."""
    now = [clock_at(NOW_MS)]
    store = StreamStore(retention_ms=5 * MIN, max_points_per_stream=cap, clock=lambda: now[0])
    page = Page()
    counter = 0
    for op, arg in ops:
        base = int(now[0] * 1000) - 3 * MIN
        if op == "live":
            assert isinstance(arg, list)
            counter += 1
            store.add_events(
                [event(base + t * 100, 50.0, id=f"{counter}-{t}") for t in arg], Source.LIVE
            )
        elif op == "history":
            assert isinstance(arg, list)
            store.add_history({STREAM: [sample(base + t * 100, float(t % 7)) for t in arg]})
        elif op == "other":
            assert isinstance(arg, int)
            store.add_events([event(base + arg * 100, stream=OTHER, id=f"o{arg}")])
        elif op == "gap":
            assert isinstance(arg, int)
            store.record_gap(STREAM, base + arg * 100, base + arg * 100 + 500)
        elif op == "gap_state":
            gaps = store.gaps(STREAM)
            if gaps:
                store.set_gap_state(gaps[-1].id, arg)  # type: ignore[arg-type]
        elif op == "tick":
            assert isinstance(arg, int)
            now[0] += arg
            store.prune()
        else:
            page.sync(store)
            assert page.points == store.series(STREAM)
    page.sync(store)
    assert page.points == store.series(STREAM)
    assert len(store.series(STREAM)) <= cap
    timestamps = [p.ts_ms for p in store.series(STREAM)]
    assert timestamps == sorted(timestamps)
