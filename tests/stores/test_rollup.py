"""Roll-ups: old live points fold into buckets that keep the extremes, the count and the
shape of the line; history, gaps and the raw window are left alone; pages follow."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.stores.rollup import KEEP, RollupPolicy
from app.stores.streams import Point, StreamStore
from app.stores.types import Source

from .factory import NOW_MS, OTHER, STREAM, clock_at, event, sample
from .test_streams import apply

MIN = 60_000
HOUR = 60 * MIN
T0 = NOW_MS - NOW_MS % HOUR - 4 * HOUR
"""Four hours before NOW_MS, on an hour (so on a bucket edge)."""


class Clock:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> float:
        return clock_at(self.ms)


def make(now_ms: int = NOW_MS, **kwargs: int) -> tuple[StreamStore, Clock]:
    clock = Clock(now_ms)
    policy = RollupPolicy(raw_window_ms=HOUR, bucket_ms=MIN)
    return StreamStore(clock=clock, rollup=policy, **kwargs), clock


def roll_all(store: StreamStore, max_rows: int = 20_000) -> int:
    steps = 0
    while store.roll_up(max_rows):
        steps += 1
        assert steps < 10_000
    return steps


def busy_minute(start_ms: int, values: list[float], stream: str = STREAM) -> list[int]:
    """Timestamps of one event per value, spread over the minute from ``start_ms``."""
    step = MIN // len(values)
    return [start_ms + i * step for i in range(len(values))]


def test_a_busy_bucket_keeps_its_lowest_highest_first_critical_and_last_point() -> None:
    store, _ = make()
    values = [50.0, 61.0, 12.0, 80.0, 95.0, 48.0, 47.0, 51.0]
    flags = ["normal", "warning", "critical", "critical", "critical", "normal", "normal", "normal"]
    stamps = busy_minute(T0, values)
    store.add_events(
        [
            event(ts, v, id=f"e{i}", flag=f, data={"value": v * 2})
            for i, (ts, v, f) in enumerate(zip(stamps, values, flags, strict=True))
        ]
    )
    assert roll_all(store) >= 1
    series = store.series(STREAM)
    # lowest (12, the first critical too), highest (95) and last (51), in time order
    assert [(p.ts_ms, p.normalized, p.raw) for p in series] == [
        (stamps[2], 12.0, 24.0),
        (stamps[4], 95.0, 190.0),
        (stamps[7], 51.0, 102.0),
    ]
    assert {p.source for p in series} == {Source.ROLLUP}
    assert [p.flag for p in series] == ["critical", "critical", "normal"]
    assert store.rollups(STREAM) == {T0: len(values)}
    assert store.stats(STREAM).live_points == 3


def test_a_first_critical_point_that_is_no_extreme_is_kept_too() -> None:
    store, _ = make()
    values = [50.0, 10.0, 72.0, 90.0, 52.0, 49.0]
    flags = ["normal", "critical", "critical", "critical", "normal", "normal"]
    flags[1] = "warning"  # the lowest is only a warning: the first critical is 72
    stamps = busy_minute(T0, values)
    store.add_events(
        [
            event(ts, v, id=f"e{i}", flag=f)
            for i, (ts, v, f) in enumerate(zip(stamps, values, flags, strict=True))
        ]
    )
    roll_all(store)
    assert [p.normalized for p in store.series(STREAM)] == [10.0, 72.0, 90.0, 49.0]


def test_quiet_buckets_history_gaps_and_the_raw_window_stay_as_they_are() -> None:
    store, _ = make()
    store.add_history({STREAM: [sample(T0 + k * 5 * MIN, 40.0 + k) for k in range(12)]})
    quiet = [event(T0 + 10 * MIN + k * 1000, 55.0, id=f"q{k}") for k in range(KEEP)]
    recent = [event(NOW_MS - 30 * MIN + k * 100, 60.0 + k % 7, id=f"r{k}") for k in range(50)]
    store.add_events([*quiet, *recent])
    store.record_gap(STREAM, T0 + 30 * MIN, T0 + 40 * MIN)
    before = store.series(STREAM)
    roll_all(store)
    assert store.series(STREAM) == before
    assert store.rollups(STREAM) == {}


def test_pages_get_the_rolled_series_as_a_reset_and_then_deltas_again() -> None:
    store, clock = make()
    store.add_events([event(T0 + k * 500, 40.0 + k % 21, id=f"a{k}") for k in range(600)])
    page: list[Point] = []
    version = 0
    delta = store.changes_since(STREAM, version)
    apply(page, delta)
    version = delta.version
    roll_all(store)
    delta = store.changes_since(STREAM, version)
    assert delta.reset
    apply(page, delta)
    assert page == store.series(STREAM)
    assert len(page) < 600
    clock.ms += 1000
    store.add_events([event(NOW_MS + 500, 50.0, id="new")])
    delta = store.changes_since(STREAM, delta.version)
    assert not delta.reset and [p.ts_ms for p in delta.points] == [NOW_MS + 500]
    apply(page, delta)
    assert page == store.series(STREAM)


def test_nothing_is_rolled_until_half_a_raw_window_more_is_due() -> None:
    store, clock = make()
    store.add_events([event(T0 + k * 100, 50.0 + k % 9, id=f"a{k}") for k in range(3000)])
    roll_all(store)
    rolled = store.rollups(STREAM)
    assert rolled
    # events a minute past the rolled edge are old enough, but not yet worth a reset
    edge = NOW_MS - HOUR - NOW_MS % MIN
    store.add_events([event(edge + k * 100, 50.0 + k % 9, id=f"b{k}") for k in range(100)])
    clock.ms += 2 * MIN
    assert store.roll_up() == 0
    clock.ms += 30 * MIN
    assert store.roll_up() > 0
    roll_all(store)
    assert len(store.rollups(STREAM)) > len(rolled)


def test_a_late_event_joins_its_rolled_bucket_and_counts() -> None:
    store, _ = make()
    values = [50.0 + k for k in range(10)]
    store.add_events(
        [
            event(ts, v, id=f"e{i}")
            for i, (ts, v) in enumerate(zip(busy_minute(T0, values), values, strict=True))
        ]
    )
    roll_all(store)
    assert store.rollups(STREAM) == {T0: 10}
    store.add_events([event(T0 + 30_000 + 1, 99.0, id="late"), event(T0 + 30_001, 5.0, id="late2")])
    roll_all(store)
    assert store.rollups(STREAM) == {T0: 12}
    assert [p.normalized for p in store.series(STREAM)] == [5.0, 99.0, 59.0]


def test_small_steps_give_the_same_result_as_one_big_one() -> None:
    events = [
        event(T0 + k * 250, 30.0 + (k * 7919) % 40, id=f"e{k}") for k in range(4 * 3600 * 4 // 4)
    ]
    one, _ = make()
    one.add_events(events)
    assert roll_all(one) == 1
    many, _ = make()
    many.add_events(events)
    assert roll_all(many, max_rows=700) > 10
    assert many.series(STREAM) == one.series(STREAM)
    assert many.rollups(STREAM) == one.rollups(STREAM)


def test_a_bucket_busier_than_a_step_is_rolled_in_several_steps_to_the_same_result() -> None:
    """A step never examines more than its rows, even inside one minute (7,600 events/s
    put 456,000 in one), and the pieces add up to the one-step result."""
    values = [40.0 + (k * 7919) % 30 for k in range(12_000)]
    values[5_000], values[9_000] = 2.0, 98.0
    events = [event(T0 + k * 5, v, id=f"e{k}") for k, v in enumerate(values)]  # one minute
    whole, _ = make()
    whole.add_events(events)
    assert roll_all(whole, max_rows=1_000_000) == 1
    pieces, _ = make()
    pieces.add_events(events)
    steps = []
    while rows := pieces.roll_up(max_rows=1_000):
        steps.append(rows)
    assert len(steps) >= 12 and max(steps) <= 1_000
    assert pieces.series(STREAM) == whole.series(STREAM)
    assert pieces.rollups(STREAM) == whole.rollups(STREAM) == {T0: 12_000}
    assert [p.normalized for p in pieces.series(STREAM)][:2] == [2.0, 98.0]


def test_a_stream_near_its_cap_rolls_its_newer_points_instead_of_losing_old_days() -> None:
    store, _ = make(max_points_per_stream=2_000)
    store.add_history(
        {STREAM: [sample(NOW_MS - 6 * 24 * HOUR + k * 5 * MIN, 50.0) for k in range(10)]}
    )
    # 30 minutes at 1 event/s: all inside the raw window, and 1,800 points near the cap
    store.add_events(
        [event(NOW_MS - 30 * MIN + k * 1000, 50.0 + k % 13, id=f"e{k}") for k in range(1800)]
    )
    roll_all(store)
    series = store.series(STREAM)
    assert series[0].ts_ms == NOW_MS - 6 * 24 * HOUR  # the oldest history is still there
    assert len(series) <= 2_000 // 4 + 10 + KEEP * 30
    live = sum(p.source is Source.LIVE for p in series)
    assert sum(store.rollups(STREAM).values()) + live == 1800
    assert store.stale_dropped == 0


def test_retention_forgets_the_buckets_of_evicted_points() -> None:
    store, clock = make(retention_ms=3 * HOUR)
    store.add_events([event(T0 + k * 500, 40.0 + k % 21, id=f"a{k}") for k in range(4 * 3600 * 2)])
    store.add_events(
        [event(T0 + k * 500, 40.0 + k % 21, id=f"a{k}", stream=OTHER) for k in range(2)]
    )
    roll_all(store)
    assert min(store.rollups(STREAM)) == NOW_MS - 3 * HOUR - (NOW_MS - 3 * HOUR) % MIN
    clock.ms += HOUR
    store.prune()
    assert min(store.rollups(STREAM)) >= NOW_MS - 2 * HOUR - MIN


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=300),
    gaps=st.lists(st.integers(1, 40_000), min_size=1, max_size=300),
)
def test_every_event_is_accounted_for_and_each_bucket_keeps_its_extremes(
    values: list[float], gaps: list[int]
) -> None:
    store, _ = make()
    ts, events = T0, []
    for i, v in enumerate(values):
        ts += gaps[i % len(gaps)]
        events.append(event(ts, v, id=f"e{i}"))
    store.add_events(events)
    roll_all(store)
    series = store.series(STREAM)
    buckets = store.rollups(STREAM)
    raw = [p for p in series if p.source is Source.LIVE]
    assert sum(buckets.values()) + len(raw) == len(values)
    for start, count in buckets.items():
        inside = [
            e["normalizedValue"]
            for e in events
            if start <= e["timestamp"].timestamp() * 1000 < start + MIN
        ]
        kept = [p.normalized for p in series if start <= p.ts_ms < start + MIN]
        assert count == len(inside) > KEEP
        assert min(kept) == min(inside) and max(kept) == max(inside)
        assert kept[-1] == inside[-1]
