"""StreamStore: merge order, dedupe, out-of-order inserts, bounds, deltas, gaps, counters."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from app.protocol import StreamEvent
from app.stores.gaps import outcome
from app.stores.streams import Delta, Point, StreamStats, StreamStore
from app.stores.types import AddResult, EventSink, Gap, Source

from .factory import NOW_MS, OTHER, STREAM, clock_at, event, sample

MIN = 60_000
HOUR = 60 * MIN


def make_store(**kwargs: int) -> StreamStore:
    """A store whose clock stands still at NOW_MS."""
    return StreamStore(clock=lambda: clock_at(NOW_MS), **kwargs)


def stamps(store: StreamStore, stream: str = STREAM) -> list[int]:
    """The timestamps of a series, in order."""
    return [p.ts_ms for p in store.series(stream)]


def apply(client: list[Point], delta: Delta) -> None:
    """What a page does with a delta."""
    if delta.reset:
        client[:] = delta.points
    else:
        del client[: delta.trimmed]
        client.extend(delta.points)


def test_store_satisfies_event_sink() -> None:
    """StreamStore is what the connection manager and loader expect."""
    sink: EventSink = make_store()
    assert sink.add_events([]) == AddResult()


def test_history_then_live_merge_in_time_order() -> None:
    """History buckets and live events form one series sorted by time with their sources."""
    store = make_store()
    t0 = NOW_MS - 2 * HOUR
    store.add_history({STREAM: [sample(t0), sample(t0 + 5 * MIN)]})
    store.add_events([event(t0 + 6 * MIN, 60.0), event(t0 + 7 * MIN, 70.0)])
    series = store.series(STREAM)
    assert [p.ts_ms for p in series] == [t0, t0 + 5 * MIN, t0 + 6 * MIN, t0 + 7 * MIN]
    assert [p.source for p in series] == [Source.HISTORY] * 2 + [Source.LIVE] * 2
    assert series[2] == Point(t0 + 6 * MIN, 60.0, "normal", Source.LIVE)


def test_live_before_history_gives_the_same_series() -> None:
    """History arriving after live events is merged in place, not appended."""
    t0 = NOW_MS - HOUR
    first, second = make_store(), make_store()
    first.add_history({STREAM: [sample(t0), sample(t0 + 5 * MIN)]})
    first.add_events([event(t0 + 6 * MIN)])
    second.add_events([event(t0 + 6 * MIN)])
    second.add_history({STREAM: [sample(t0), sample(t0 + 5 * MIN)]})
    assert first.series(STREAM) == second.series(STREAM)


def test_streams_are_kept_apart() -> None:
    """Each stream has its own series; names are listed sorted."""
    store = make_store()
    store.add_events([event(NOW_MS - 2, stream=STREAM), event(NOW_MS - 1, stream=OTHER)])
    assert store.stream_names() == sorted([STREAM, OTHER])
    assert stamps(store, STREAM) == [NOW_MS - 2]
    assert stamps(store, OTHER) == [NOW_MS - 1]
    assert store.series("unknown.stream") == []


def test_dedupe_by_id_across_live_and_catchup() -> None:
    """An event replayed by catch-up (same id) is dropped and counted."""
    store = make_store()
    store.add_events([event(NOW_MS - 10, id="a"), event(NOW_MS - 5, id="b")])
    result = store.add_events(
        [event(NOW_MS - 5, id="b"), event(NOW_MS - 1, id="c")], Source.CATCHUP
    )
    assert result == AddResult(added=1, duplicates=1, stale=0)
    assert stamps(store) == [NOW_MS - 10, NOW_MS - 5, NOW_MS - 1]
    assert store.duplicates_dropped == 1


def test_dedupe_by_seq_ignores_the_payload() -> None:
    """With a seq, the same seq at the same time is one event even if the payload differs."""
    store = make_store()
    store.add_events([event(NOW_MS - 5, seq=7, data={"a": 1})])
    result = store.add_events([event(NOW_MS - 5, seq=7, data={"a": 2})])
    assert result.duplicates == 1


def test_reused_seq_at_another_time_is_a_new_event() -> None:
    """A restarted server that counts seq from 1 again is not taken for a replay."""
    store = make_store()
    store.add_events([event(NOW_MS - 50, seq=1)])
    assert store.add_events([event(NOW_MS - 5, seq=1)]).added == 1


def test_dedupe_by_payload_without_id_or_seq() -> None:
    """Without id and seq, stream + time + value + flag + payload identify an event."""
    store = make_store()
    ts = NOW_MS - 5
    store.add_events([event(ts, data={"user": "u1", "amount": 3})])
    result = store.add_events(
        [
            event(ts, data={"amount": 3, "user": "u1"}),  # same payload, other key order
            event(ts, data={"user": "u2", "amount": 3}),  # another event at the same time
            event(ts, 51.0, data={"user": "u1", "amount": 3}),  # another value
        ]
    )
    assert result == AddResult(added=2, duplicates=1, stale=0)


def test_dedupe_of_nested_payloads() -> None:
    """Nested payloads (unhashable) still dedupe, and differences deep inside count."""
    store = make_store()
    ts = NOW_MS - 5
    nested = {"order": {"items": [1, 2], "meta": {"x": 1}}}
    store.add_events([event(ts, data=nested)])
    again = {"order": {"meta": {"x": 1}, "items": [1, 2]}}
    other = {"order": {"items": [1, 3], "meta": {"x": 1}}}
    result = store.add_events([event(ts, data=again), event(ts, data=other)])
    assert result == AddResult(added=1, duplicates=1, stale=0)


def test_dedupe_within_one_batch() -> None:
    """A batch that carries the same event twice stores it once."""
    store = make_store()
    result = store.add_events([event(NOW_MS - 5, id="x"), event(NOW_MS - 5, id="x")])
    assert result == AddResult(added=1, duplicates=1, stale=0)


def test_reseeding_history_and_backfill_of_the_same_buckets_are_duplicates() -> None:
    """Loading history twice, or backfilling buckets already seeded, adds nothing."""
    store = make_store()
    buckets = [sample(NOW_MS - 10 * MIN), sample(NOW_MS - 5 * MIN, 70.0)]
    assert store.add_history({STREAM: buckets}).added == 2
    assert store.add_history({STREAM: buckets}).duplicates == 2
    assert store.add_history({STREAM: buckets}, Source.BACKFILL).duplicates == 2
    assert store.backfilled_points == 0
    assert len(store.series(STREAM)) == 2


def test_history_event_with_id_dedupes_against_live() -> None:
    """The original server's history events carry ids: the same id live is one event."""
    store = make_store()
    store.add_history({STREAM: [sample(NOW_MS - 5, id="ev-1")]})
    assert store.add_events([event(NOW_MS - 5, id="ev-1")]).duplicates == 1


def test_out_of_order_events_are_inserted_in_place() -> None:
    """Late events land at their time, not at the end."""
    store = make_store()
    store.add_events([event(NOW_MS - 100, id="a"), event(NOW_MS - 10, id="c")])
    store.add_events([event(NOW_MS - 50, id="b"), event(NOW_MS - 200, id="z")])
    assert stamps(store) == [NOW_MS - 200, NOW_MS - 100, NOW_MS - 50, NOW_MS - 10]


def test_many_out_of_order_events_take_the_bulk_path() -> None:
    """A large late batch (re-sorted at once) gives the same order as one by one."""
    store = make_store()
    store.add_events([event(NOW_MS - 1, id="last")])
    late = [event(NOW_MS - 1000 + i * 7 % 500, id=f"e{i}") for i in range(200)]
    store.add_events(late)
    assert stamps(store) == sorted(stamps(store))
    assert len(store.series(STREAM)) == 201


def test_equal_timestamps_order_does_not_depend_on_arrival() -> None:
    """Points sharing a millisecond are ordered by content, not by arrival."""
    ts = NOW_MS - 5
    a, b = event(ts, 40.0, id="a"), event(ts, 60.0, id="b")
    first, second = make_store(), make_store()
    first.add_events([a, b])
    second.add_events([b])
    second.add_events([a])
    assert first.series(STREAM) == second.series(STREAM)


def test_naive_timestamps_are_utc() -> None:
    """A naive timestamp is taken as UTC, as the protocol says."""
    store = make_store()
    aware = event(NOW_MS - 5, id="a")
    naive: StreamEvent = {**aware, "timestamp": aware["timestamp"].replace(tzinfo=None)}
    store.add_events([naive])
    assert stamps(store) == [NOW_MS - 5]


def test_runs_of_equal_instants_in_any_zone_get_their_own_milliseconds() -> None:
    """A frame mixing zones, equal instants and naive times: each event its own instant."""
    store = make_store()
    base = event(NOW_MS - 3_600_000, id="z")
    stamp = base["timestamp"]
    plus_one = timezone(timedelta(hours=1))
    same_instant = stamp.astimezone(plus_one)  # equal to the previous one
    wall_clock = stamp.replace(tzinfo=plus_one)  # an hour earlier
    naive = stamp.replace(tzinfo=None)  # the first one again, as UTC
    later = stamp + timedelta(milliseconds=7)
    events: list[StreamEvent] = [base] + [
        {**base, "timestamp": t, "id": i}
        for t, i in ((same_instant, "a"), (wall_clock, "b"), (naive, "c"), (later, "d"))
    ]
    store.add_events(events)
    first = NOW_MS - 3_600_000
    assert stamps(store) == [first - 3_600_000, first, first, first, first + 7]


def test_events_without_value_are_counted_not_plotted() -> None:
    """No normalizedValue: kept out of the series, counted, still advance newest time."""
    store = make_store()
    store.add_events([event(NOW_MS - 9, 50.0), event(NOW_MS - 5, None)])
    assert stamps(store) == [NOW_MS - 9]
    assert store.events_without_value == 1
    assert store.without_value(STREAM) == 1
    assert store.newest_event_ms(STREAM) == NOW_MS - 5


def test_newest_event_ms_counts_server_time_sources_only() -> None:
    """History does not move the catch-up point; live, catch-up and backfill do."""
    store = make_store()
    store.add_history({STREAM: [sample(NOW_MS - MIN)]})
    assert store.newest_event_ms() is None
    store.add_events([event(NOW_MS - 3 * MIN)])
    store.add_events([event(NOW_MS - 2 * MIN, stream=OTHER)], Source.CATCHUP)
    assert store.newest_event_ms(STREAM) == NOW_MS - 3 * MIN
    assert store.newest_event_ms() == NOW_MS - 2 * MIN
    store.add_history({STREAM: [sample(NOW_MS - 30_000)]}, Source.BACKFILL)
    assert store.newest_event_ms() == NOW_MS - 30_000
    assert store.newest_event_ms("unknown.stream") is None


def test_retention_drops_old_points_with_injected_clock() -> None:
    """Points older than the window are refused, and evicted once the clock moves on."""
    now = [clock_at(NOW_MS)]
    store = StreamStore(retention_ms=HOUR, clock=lambda: now[0])
    result = store.add_events([event(NOW_MS - 2 * HOUR, id="old"), event(NOW_MS - 30 * MIN)])
    assert result == AddResult(added=1, duplicates=0, stale=1)
    store.add_history({STREAM: [sample(NOW_MS - 50 * MIN), sample(NOW_MS - 70 * MIN)]})
    assert stamps(store) == [NOW_MS - 50 * MIN, NOW_MS - 30 * MIN]
    now[0] = clock_at(NOW_MS + 20 * MIN)
    assert store.prune() == 1
    assert stamps(store) == [NOW_MS - 30 * MIN]
    now[0] = clock_at(NOW_MS + 40 * MIN)
    store.add_events([event(NOW_MS + 39 * MIN)])
    assert stamps(store) == [NOW_MS + 39 * MIN]
    assert store.stale_dropped == 2


def test_cap_keeps_the_newest_points_and_memory_flat() -> None:
    """Past the cap the oldest points go, with their dedupe keys."""
    store = make_store(max_points_per_stream=100)
    for start in range(0, 5000, 100):
        store.add_events([event(NOW_MS - 10_000 + i, seq=i) for i in range(start, start + 100)])
    assert stamps(store) == list(range(NOW_MS - 10_000 + 4900, NOW_MS - 10_000 + 5000))
    column = store._streams[STREAM]  # white-box: memory must not grow with the run
    assert len(column.keyset) == 100
    assert len(column.ts) <= 100 + 1024 * 2


def test_cap_refuses_points_older_than_a_full_stream() -> None:
    """A full stream does not take (then evict) a point older than everything it keeps."""
    store = make_store(max_points_per_stream=3)
    store.add_events([event(NOW_MS - i, id=str(i)) for i in (30, 20, 10)])
    assert store.add_events([event(NOW_MS - 40, id="old")]).stale == 1
    assert store.add_events([event(NOW_MS - 15, id="mid")]).added == 1
    assert stamps(store) == [NOW_MS - 20, NOW_MS - 15, NOW_MS - 10]


def test_changes_since_appends_only_new_points() -> None:
    """In-order writes give append deltas of just the new points."""
    store = make_store()
    store.add_events([event(NOW_MS - 30, id="a")])
    first = store.changes_since(STREAM, 0)
    assert first.reset and [p.ts_ms for p in first.points] == [NOW_MS - 30]
    store.add_events([event(NOW_MS - 20, id="b"), event(NOW_MS - 10, id="c")])
    delta = store.changes_since(STREAM, first.version)
    assert not delta.reset
    assert [p.ts_ms for p in delta.points] == [NOW_MS - 20, NOW_MS - 10]
    assert delta.version == store.version
    assert store.changes_since(STREAM, delta.version) == Delta(store.version, False, [])


def test_changes_since_ignores_other_streams() -> None:
    """Writes to another stream bump the global version but not this stream's delta."""
    store = make_store()
    store.add_events([event(NOW_MS - 30)])
    v = store.version
    store.add_events([event(NOW_MS - 20, stream=OTHER)])
    assert store.version > v
    assert store.stream_version(STREAM) == v
    assert store.changes_since(STREAM, v).points == []


def test_changes_since_resets_after_an_insert_in_the_middle() -> None:
    """A late event inside the series makes the next delta a reset with everything."""
    store = make_store()
    store.add_events([event(NOW_MS - 30, id="a"), event(NOW_MS - 10, id="c")])
    v = store.version
    store.add_events([event(NOW_MS - 20, id="b")])
    delta = store.changes_since(STREAM, v)
    assert delta.reset
    assert [p.ts_ms for p in delta.points] == [NOW_MS - 30, NOW_MS - 20, NOW_MS - 10]


def test_same_millisecond_points_of_one_write_stay_a_delta() -> None:
    """A busy stream's many events a millisecond are ordered in place, not by a reset."""
    store = make_store()
    store.add_events([event(NOW_MS - 30, 50.0, id="a")])
    client = store.series(STREAM)
    v = store.version
    ts = NOW_MS - 10
    store.add_events([event(ts, 70.0, id="b"), event(ts, 20.0, id="c"), event(ts, 45.0, id="d")])
    delta = store.changes_since(STREAM, v)
    assert not delta.reset
    assert [p.normalized for p in delta.points] == [20.0, 45.0, 70.0]
    apply(client, delta)
    assert client == store.series(STREAM)


def test_a_point_ranking_before_one_already_sent_makes_a_reset() -> None:
    """Same millisecond, next write, lower rank: it goes before a point pages hold."""
    store = make_store()
    ts = NOW_MS - 10
    store.add_events([event(ts, 50.0, id="a")])
    client = store.series(STREAM)
    v = store.version
    result = store.add_events([event(ts, 40.0, id="b"), event(ts, 40.0, id="b")])
    assert (result.added, result.duplicates) == (1, 1)
    delta = store.changes_since(STREAM, v)
    assert delta.reset
    apply(client, delta)
    assert [p.normalized for p in client] == [40.0, 50.0]


def test_changes_since_reports_trims_from_the_front() -> None:
    """Cap evictions are sent as a count to trim, not as a reset."""
    store = make_store(max_points_per_stream=3)
    store.add_events([event(NOW_MS - 50 + i, id=str(i)) for i in range(3)])
    client = store.series(STREAM)
    v = store.version
    store.add_events([event(NOW_MS - 40, id="x"), event(NOW_MS - 39, id="y")])
    delta = store.changes_since(STREAM, v)
    assert not delta.reset and delta.trimmed == 2
    apply(client, delta)
    assert client == store.series(STREAM)


def test_changes_since_resets_for_unknown_or_too_old_versions() -> None:
    """A version from the future, or older than the kept log, gets the whole series."""
    store = make_store()
    store.add_events([event(NOW_MS - 5000, id="first")])
    assert store.changes_since(STREAM, store.version + 5).reset
    for i in range(2100):
        store.add_events([event(NOW_MS - 4000 + i, id=str(i))])
    delta = store.changes_since(STREAM, 1)
    assert delta.reset and len(delta.points) == 2101


def test_version_is_monotonic_and_unchanged_by_no_ops() -> None:
    """Only writes that change something bump the version."""
    store = make_store()
    store.add_events([event(NOW_MS - 5, id="a")])
    v = store.version
    store.add_events([event(NOW_MS - 5, id="a")])
    store.add_events([])
    assert store.version == v
    store.add_events([event(NOW_MS - 4, id="b")])
    assert store.version == v + 1


def test_gap_shows_as_a_null_point_until_filled() -> None:
    """A recorded gap breaks the line; unfillable keeps the break; filled shows the data."""
    store = make_store()
    store.add_events([event(NOW_MS - 60 * MIN, id="a"), event(NOW_MS - MIN, id="b")])
    gap = store.record_gap(STREAM, NOW_MS - 50 * MIN, NOW_MS - 10 * MIN)
    assert gap.state == "open" and store.gaps(STREAM) == [gap]
    marker = Point(NOW_MS - 30 * MIN, None, None, Source.GAP)
    assert store.series(STREAM)[1] == marker
    store.set_gap_state(gap.id, "unfillable")
    assert marker in store.series(STREAM)

    other = store.record_gap(STREAM, NOW_MS - 9 * MIN, NOW_MS - 2 * MIN)
    store.set_gap_state(other.id, "filling")
    store.add_history({STREAM: [sample(NOW_MS - 5 * MIN, 77.0)]}, Source.BACKFILL)
    store.set_gap_state(other.id, "filled")
    series = store.series(STREAM)
    assert [p.source for p in series] == [
        Source.LIVE,
        Source.GAP,
        Source.BACKFILL,
        Source.LIVE,
    ]
    assert store.backfilled_points == 1
    assert [g.state for g in store.gaps()] == ["unfillable", "filled"]


def test_gap_marker_changes_reach_pages_as_resets() -> None:
    """Adding and removing a gap marker inside the series resets a page's view."""
    store = make_store()
    store.add_events([event(NOW_MS - 60 * MIN, id="a"), event(NOW_MS - MIN, id="b")])
    client = store.series(STREAM)
    v = store.version
    gap = store.record_gap(STREAM, NOW_MS - 50 * MIN, NOW_MS - 10 * MIN)
    apply(client, store.changes_since(STREAM, v))
    assert client == store.series(STREAM) and len(client) == 3
    v = store.version
    store.set_gap_state(gap.id, "filled")
    delta = store.changes_since(STREAM, v)
    assert delta.reset
    apply(client, delta)
    assert client == store.series(STREAM) and len(client) == 2


def test_gap_arguments_are_checked() -> None:
    """An empty window or an unknown gap id fail at once."""
    store = make_store()
    with pytest.raises(ValueError, match="not after"):
        store.record_gap(STREAM, NOW_MS, NOW_MS)
    with pytest.raises(KeyError):
        store.set_gap_state(99, "filled")


def test_gap_listeners_hear_of_new_gaps() -> None:
    """on_gap listeners are called per gap; a failing one does not stop the store."""
    store = make_store()
    heard: list[int] = []

    def broken(_gap: object) -> None:
        raise RuntimeError("listener bug")

    store.on_gap(broken)
    unsubscribe = store.on_gap(lambda g: heard.append(g.id))
    first = store.record_gap(STREAM, NOW_MS - 10, NOW_MS - 5)
    unsubscribe()
    store.record_gap(STREAM, NOW_MS - 4, NOW_MS - 2)
    assert heard == [first.id]


def test_gaps_past_retention_are_forgotten() -> None:
    """Gaps that ended before the retention window leave the list."""
    now = [clock_at(NOW_MS)]
    store = StreamStore(retention_ms=HOUR, clock=lambda: now[0])
    store.record_gap(STREAM, NOW_MS - 30 * MIN, NOW_MS - 20 * MIN)
    now[0] = clock_at(NOW_MS + HOUR)
    store.prune()
    assert store.gaps() == []
    assert store.series(STREAM) == []


def test_stats_count_history_and_live_points() -> None:
    """stats() splits history (with backfill) from live (with catch-up) and gives the span."""
    store = make_store()
    assert store.stats(STREAM) == StreamStats(0, 0, None, None)
    store.add_history({STREAM: [sample(NOW_MS - 10 * MIN)]})
    store.add_history({STREAM: [sample(NOW_MS - 8 * MIN)]}, Source.BACKFILL)
    store.add_events([event(NOW_MS - 5 * MIN)])
    store.add_events([event(NOW_MS - 4 * MIN)], Source.CATCHUP)
    store.record_gap(STREAM, NOW_MS - 3 * MIN, NOW_MS - MIN)
    assert store.stats(STREAM) == StreamStats(2, 2, NOW_MS - 10 * MIN, NOW_MS - 2 * MIN)


def test_constructor_rejects_nonsense_bounds() -> None:
    """A zero cap or retention is a configuration error."""
    with pytest.raises(ValueError, match="positive"):
        StreamStore(max_points_per_stream=0)


def test_far_future_events_are_dropped_and_counted() -> None:
    """An event dated over an hour ahead is dropped: it cannot pin the edge or the catch-up."""
    store = make_store()
    store.add_events([event(NOW_MS - MIN, id="a")])
    result = store.add_events([event(NOW_MS + 2 * HOUR, id="future"), event(NOW_MS, id="b")])
    assert (result.added, result.future) == (1, 1)
    assert store.future_dropped == 1
    assert stamps(store) == [NOW_MS - MIN, NOW_MS]
    assert store.newest_event_ms() == NOW_MS
    assert store.add_events([event(NOW_MS + 30 * MIN, id="skewed")]).added == 1


def test_the_ledger_keeps_recoveries_apart_from_gaps() -> None:
    """A recovery is a ledger entry with no break and no backfill; a gap's count is its points."""
    store = make_store()
    heard: list[Gap] = []
    store.on_gap(heard.append)
    store.add_events([event(NOW_MS - 10 * MIN), event(NOW_MS - MIN)])
    v0 = store.ledger.version
    ok = store.record_recovered(STREAM, NOW_MS - 9 * MIN, NOW_MS - 8 * MIN, 12)
    assert heard == [] and store.gaps() == [] and store.ledger.all() == [ok]
    assert all(p.source != Source.GAP for p in store.series(STREAM))
    assert outcome(ok) == ("recovered", "recovered by catch-up (12 events)")
    gap = store.record_gap(STREAM, NOW_MS - 7 * MIN, NOW_MS - 3 * MIN)
    assert heard == [gap] and store.gaps() == [gap]
    assert outcome(gap) == ("backfilling", "missing so far, backfilling (4 min)")
    store.set_gap_state(gap.id, "filled", 48)
    assert outcome(gap) == ("backfilled", "backfilled from history (48 points)")
    store.set_gap_state(gap.id, "unfillable", 0)
    assert outcome(gap) == ("missing", "missing (4 min)")
    assert store.ledger.version >= v0 + 4  # every entry and change is seen by pages
