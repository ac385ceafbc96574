"""The stream store: per stream, one merged, deduplicated, bounded series in time order.

Writers are the connection manager (live, catch-up) and the history loader (seed, gap
backfill); readers are pages, which ask what changed since the version they last saw, and
the status API. Each stream's points live in a :class:`~app.stores.column.Column`; live
events and history samples reach it through the same append path (:meth:`Column.add`),
after the store has turned them into ``(ms, value, meta, key)``.

Points are deduplicated by key (the rule is in :mod:`app.stores.points`).

Events without ``normalizedValue`` are not plotted (a null would draw a break in the
line): they are counted in ``events_without_value`` and still advance ``newest_event_ms``,
since they are server-time evidence of what was received. Gaps (:mod:`app.stores.gaps`)
show as a null point (``Source.GAP``) from the moment they are recorded until they are
filled, so a chart never draws a line across a hole.

One global version counter is bumped once per write that changed anything.
"""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Callable, Mapping, Sequence

from app.protocol import HistorySample, StreamEvent, datetime_ms
from app.stores.column import NEVER, Column
from app.stores.gaps import GapListener, GapRegistry, is_gap, marker_key, marker_ts
from app.stores.points import (
    DAY_MS,
    FLAG_CODE,
    SERVER_TIME,
    SOURCE_BASE,
    Delta,
    Point,
    StreamStats,
    payload_key,
    raw_value,
)
from app.stores.rollup import STEP_ROWS, RollupPolicy
from app.stores.types import FUTURE_TOLERANCE_MS, AddResult, Gap, GapState, Source

__all__ = ["DAY_MS", "Delta", "Point", "StreamStats", "StreamStore"]

NAN = math.nan


class StreamStore:
    """Every stream's merged series, its gaps and counters. Implements ``EventSink``.

    Not thread-safe: call it from the event loop only. Nothing in it blocks or awaits.
    """

    def __init__(
        self,
        *,
        retention_ms: int = 8 * DAY_MS,
        max_points_per_stream: int = 100_000,
        clock: Callable[[], float] = time.time,
        future_tolerance_ms: int = FUTURE_TOLERANCE_MS,
        rollup: RollupPolicy | None = None,
    ) -> None:
        if retention_ms <= 0 or max_points_per_stream <= 0 or future_tolerance_ms < 0:
            raise ValueError("retention, cap and future tolerance must be positive")
        self._retention_ms = retention_ms
        self._future_ms = future_tolerance_ms
        self._cap = max_points_per_stream
        self._clock = clock
        self.rollup = rollup or RollupPolicy()
        self._streams: dict[str, Column] = {}
        self._version = 0
        self._gaps = GapRegistry()
        self.duplicates_dropped = 0
        """Points ignored because the same event was already stored."""
        self.backfilled_points = 0
        """Points added by gap backfills (``Source.BACKFILL``)."""
        self.events_without_value = 0
        """Events and samples without a normalized value: counted, not plotted."""
        self.future_dropped = 0
        """Live events dated more than ``future_tolerance_ms`` ahead of the clock: dropped.

        One such event would otherwise pin the stream's right edge (every later point an
        insert, so every tab a full reset) and the catch-up ``lastTimestamp`` in the future."""
        self.stale_dropped = 0
        """Points older than the retention window, or than a full stream's oldest point."""

    # --- writes ----------------------------------------------------------------------------

    def add_events(self, events: Sequence[StreamEvent], source: Source = Source.LIVE) -> AddResult:
        """Merge events (live, catch-up): the hot path, O(1) per in-order event.

        A busy upstream sends runs of one timestamp and one stream: both lookups are
        reused while a run lasts.
        """
        touched: dict[str, Column] = {}
        cutoff = self._cutoff_ms()
        horizon = int(self._clock() * 1000) + self._future_ms
        server_time = source in SERVER_TIME
        base = SOURCE_BASE[source]
        flag_code = FLAG_CODE
        stale = without_value = future = 0
        name: str | None = None
        c = _NO_COLUMN  # replaced at the first event, never written to
        add = c.add
        last_stamp = None
        ts = 0
        for ev in events:
            if ev["stream"] != name:
                name = ev["stream"]
                c = touched.get(name) or self._touch(name, touched)
                add = c.add
            stamp = ev["timestamp"]
            if stamp != last_stamp:
                last_stamp = stamp
                ts = datetime_ms(stamp)
            if ts < cutoff:
                stale += 1
                continue
            if ts > horizon:
                future += 1
                continue
            if server_time and ts > c.newest_ms:
                c.newest_ms = ts
            value = ev.get("normalizedValue")
            if value is None:
                c.without_value += 1
                without_value += 1
                continue
            flag = ev.get("anomalyFlag")
            data = ev.get("data")
            if (ident := ev.get("id")) is not None:
                key = hash((ts, ident))
            elif (seq := ev.get("seq")) is not None:
                key = hash((ts, seq))
            else:
                key = payload_key(ts, value, flag, data)
            raw = data.get("value") if data else None
            if raw.__class__ is not float or raw - raw:  # not a finite float: look closer
                raw = raw_value(raw)
            add(ts, value, base + flag_code.get(flag, 0), key, raw)
        self.events_without_value += without_value
        self.future_dropped += future
        return self._finish(touched, source, cutoff, stale, future)

    def add_history(
        self, streams: Mapping[str, Sequence[HistorySample]], source: Source = Source.HISTORY
    ) -> AddResult:
        """Merge history samples: the seed, or ``Source.BACKFILL`` for a gap."""
        touched: dict[str, Column] = {}
        cutoff = self._cutoff_ms()
        server_time = source in SERVER_TIME
        base = SOURCE_BASE[source]
        stale = 0
        for name, samples in streams.items():
            c = self._touch(name, touched)
            add = c.add
            for sample in samples:
                ts = sample.ts_ms
                if ts < cutoff:
                    stale += 1
                    continue
                if server_time and ts > c.newest_ms:
                    c.newest_ms = ts
                value = sample.normalized
                if value is None:
                    c.without_value += 1
                    self.events_without_value += 1
                    continue
                ident = sample.id
                raw = sample.value
                key = hash((ts, ident) if ident is not None else (ts, "h", value, raw))
                add(
                    ts,
                    value,
                    base + FLAG_CODE.get(sample.flag, 0),
                    key,
                    NAN if raw is None else raw,
                )
        result = self._finish(touched, source, cutoff, stale, 0)
        if source is Source.BACKFILL:
            self.backfilled_points += result.added
        return result

    def _touch(self, name: str, touched: dict[str, Column]) -> Column:
        c = self._streams.get(name)
        if c is None:
            c = self._streams[name] = Column(self._cap)
        touched[name] = c
        return c

    def _finish(
        self, touched: dict[str, Column], source: Source, cutoff: int, stale: int, future: int
    ) -> AddResult:
        """Insert queued points, evict (before the write's ``cutoff``), bump the versions."""
        base = SOURCE_BASE[source]
        changed: list[Column] = []
        added = duplicates = 0
        for c in touched.values():
            if c.duplicates or c.too_old:
                duplicates += c.duplicates
                stale += c.too_old
                c.duplicates = c.too_old = 0
            if c.added:
                added += c.added
                c.count(base, c.added)
                if source is Source.LIVE:
                    c.live_received += c.added
                c.added = 0
                c.dirty = True
            c.flush_pending()
            if c.trim_front(cutoff) or c.dirty or c.reset:
                changed.append(c)
        self._commit(changed)
        self.duplicates_dropped += duplicates
        self.stale_dropped += stale
        return AddResult(added, duplicates, stale, future)

    def _commit(self, changed: list[Column]) -> None:
        if changed:
            self._version += 1
            for c in changed:
                c.commit(self._version)

    def prune(self) -> int:
        """Evict points past retention from every stream, idle ones too; returns how many.

        Writes already evict from the streams they touch; call this now and then (say
        once a minute) so streams that went quiet shrink too.
        """
        cutoff = self._cutoff_ms()
        evicted = 0
        changed: list[Column] = []
        for c in self._streams.values():
            n = c.trim_front(cutoff)
            if n:
                evicted += n
                changed.append(c)
        self._gaps.forget_before(cutoff)
        self._commit(changed)
        return evicted

    def roll_up(self, max_rows: int = STEP_ROWS) -> int:
        """One step of roll-up work (:mod:`app.stores.rollup`) on the first stream due;
        returns the rows it examined, 0 when no stream is due. Call it until 0, yielding
        to the event loop between calls."""
        now = int(self._clock() * 1000)
        return self.rollup.step(self._streams.values(), now, self._commit, max_rows)

    def _cutoff_ms(self) -> int:
        return int(self._clock() * 1000) - self._retention_ms

    # --- gaps ------------------------------------------------------------------------------

    def record_gap(self, stream: str, start_ms: int, end_ms: int) -> Gap:
        """Note a window of ``stream`` nobody delivered; it shows as a break until filled.

        Listeners registered with :meth:`on_gap` hear of it at once (the history loader
        uses that to backfill without polling).
        """
        gap = self._gaps.add(stream, start_ms, end_ms)
        self._show_break(gap)
        self._gaps.announce(gap)
        return gap

    def record_recovered(self, stream: str, start_ms: int, end_ms: int, events: int) -> Gap:
        """Note an interruption of ``stream`` that catch-up made whole (``events`` replayed):
        a ledger entry, no break in the line, nothing to backfill."""
        return self._gaps.add(stream, start_ms, end_ms, "recovered", events)

    def gaps(self, stream: str | None = None) -> list[Gap]:
        """Recorded gaps in every state, oldest first; only ``stream``'s if given."""
        return [g for g in self._gaps.all(stream) if is_gap(g)]

    @property
    def ledger(self) -> GapRegistry:
        """Every interruption entry, gaps and recoveries (read it; write through the store)."""
        return self._gaps

    def set_gap_state(self, gap_id: int, state: GapState, count: int | None = None) -> Gap:
        """Move a gap along; ``filled`` (``count`` points) removes its break."""
        gap = self._gaps.get(gap_id)
        if count is not None and count != gap.count:
            gap.count = count
            self._gaps.changed()
        if gap.state == state:
            return gap
        self._gaps.changed()
        was_filled = gap.state == "filled"
        gap.state = state
        if state == "filled":
            c = self._streams.get(gap.stream)
            if c is not None and c.remove(marker_key(gap), marker_ts(gap)):
                self._commit([c])
        elif was_filled:
            self._show_break(gap)
        return gap

    def on_gap(self, listener: GapListener) -> Callable[[], None]:
        """Call ``listener(gap)`` for every gap recorded from now on; returns an unsubscribe."""
        return self._gaps.on_gap(listener)

    def _show_break(self, gap: Gap) -> None:
        """A null point inside the gap: ECharts breaks the line there."""
        ts, key = marker_ts(gap), marker_key(gap)
        c = self._touch(gap.stream, {})
        if ts < self._cutoff_ms() or c.has(ts, key):
            return
        c.place(ts, NAN, SOURCE_BASE[Source.GAP], key)
        c.flush_pending()
        c.trim_front(None)
        self._commit([c])

    @property  # --- reads ---
    def version(self) -> int:
        """Global version, bumped by every write that changed some series."""
        return self._version

    def stream_version(self, stream: str) -> int:
        """The global version of ``stream``'s last change (0: never changed)."""
        c = self._streams.get(stream)
        return 0 if c is None else c.version

    def stream_names(self) -> list[str]:
        """Every stream the store has seen, sorted."""
        return sorted(self._streams)

    def stream_count(self) -> int:
        """How many streams the store has seen (cheap: no list is built)."""
        return len(self._streams)

    def series(
        self, stream: str, start_ms: int | None = None, end_ms: int | None = None
    ) -> list[Point]:
        """The merged series of ``stream`` in time order (a new list); only the points from
        ``start_ms`` up to and including ``end_ms`` when given."""
        c = self._streams.get(stream)
        return [] if c is None else c.points(*c.span(start_ms, end_ms))

    def changes_since(self, stream: str, version: int) -> Delta:
        """What changed in ``stream`` since global ``version``; O(new points) for appends."""
        now = self._version
        c = self._streams.get(stream)
        if c is None:
            return Delta(now, version > now, [])
        return c.changes_since(version, now)

    def newest_event_ms(self, stream: str | None = None) -> int | None:
        """Newest server timestamp received live, by catch-up or by backfill (not history)."""
        if stream is not None:
            c = self._streams.get(stream)
            newest = NEVER if c is None else c.newest_ms
        else:
            newest = max((c.newest_ms for c in self._streams.values()), default=NEVER)
        return None if newest == NEVER else newest

    def stats(self, stream: str) -> StreamStats:
        """Point counts and time span of ``stream``'s series."""
        c = self._streams.get(stream)
        if c is None:
            return StreamStats(0, 0, None, None)
        if not len(c):
            return StreamStats(c.history_points, c.live_points, None, None)
        return StreamStats(c.history_points, c.live_points, c.ts[c.head], c.ts[-1])

    def live_received(self, stream: str) -> int:
        """Live events of ``stream`` ever added (duplicates excluded); never decreases."""
        c = self._streams.get(stream)
        return 0 if c is None else c.live_received

    def latest(self, stream: str) -> tuple[int, float, float] | None:
        """``(ts_ms, normalized, raw)`` of the newest point with a value (raw NaN: none)."""
        c = self._streams.get(stream)
        return None if c is None else c.latest()

    def window(
        self, stream: str, start_ms: int, end_ms: int | None = None
    ) -> tuple[array[int], array[float]]:
        """Timestamps and normalized values of ``stream`` from ``start_ms`` on, up to and
        including ``end_ms`` when given (copies; gap markers are NaN)."""
        c = self._streams.get(stream)
        if c is None:
            return array("q"), array("d")
        i, j = c.span(start_ms, end_ms)
        return c.ts[i:j], c.vals[i:j]

    def footprint(self) -> dict[str, int]:
        """Points kept, live events folded into roll-ups and rolled buckets, all streams."""
        cols = self._streams.values()
        rolled = sum(c.rolled_events for c in cols)
        return {"points": sum(map(len, cols)), "rolledUpEvents": rolled,
                "rollupBuckets": sum(len(c.buckets) for c in cols)}  # fmt: skip

    def rollups(self, stream: str) -> dict[int, int]:
        """``{bucket start ms: live events it stands for}`` of ``stream``'s rolled buckets."""
        c = self._streams.get(stream)
        return {} if c is None else c.buckets.items()

    def without_value(self, stream: str) -> int:
        """Events of ``stream`` that carried no normalized value (not plotted)."""
        c = self._streams.get(stream)
        return 0 if c is None else c.without_value


_NO_COLUMN = Column()
"""Placeholder for "no stream yet" in :meth:`StreamStore.add_events` (saves one per call)."""
