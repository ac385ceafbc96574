"""One stream's series as columns: timestamps, values, packed flag and source, dedupe keys.

Storage is ``array`` columns with no Python object per point, so millions of points cost
little memory and give the garbage collector nothing to scan. Points evicted from the front
(retention, cap) only advance ``head``; the columns are compacted once the dead prefix is
large, so eviction is amortized O(1), and keys leave with their points.

Versions: each write that changes a column ends in :meth:`Column.commit` with the store's
global version. The column keeps a short log of checkpoints ``(version, end, dropped)`` in
absolute positions, so a page can be told "trim this many from the front, append these" in
O(new points). An insert in the middle or a removed point starts a new epoch instead: older
versions then get a reset with the whole series.

Dedupe: the store keeps the 64-bit ``hash()`` of each point's key (see
:mod:`app.stores.streams`), and since every key holds its timestamp, a duplicate can only
sit at the same timestamp: :meth:`Column.add` looks there, with no lookup at all for a point
that extends the right edge, and keeps only the newest millisecond's keys in a set, for busy
streams that get many events in one millisecond.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right

from app.stores.buckets import Buckets
from app.stores.points import (
    HISTORY_CODES,
    HISTORY_METAS,
    LIVE_CODES,
    LIVE_METAS,
    Delta,
    Point,
    point,
    rank,
)

CHECKPOINTS = 1024
"""Versions a stream remembers; a page further behind than this gets a reset."""
COMPACT_AT = 1024
"""Dead prefix length from which the columns are compacted (if also half the column)."""
BULK_MERGE = 32
"""Out-of-order points per stream and write above which the stream is re-sorted at once."""
NAN = math.nan
NEVER = -(2**62)
"""``newest_ms`` of a stream that has received nothing with server time yet."""
NO_LATE = 2**62
"""``late_ms`` when no live point has landed among the roll-ups since the last one."""


class Column:
    """One stream's points in time order; only the stream store touches it."""

    __slots__ = (
        "added",
        "buckets",
        "cap",
        "checkpoints",
        "committed",
        "dirty",
        "dropped",
        "duplicates",
        "epoch",
        "head",
        "history_points",
        "keys",
        "late_ms",
        "live_points",
        "live_received",
        "meta",
        "newest_ms",
        "pending",
        "pending_keys",
        "raw",
        "reset",
        "rolled_events",
        "rolled_ms",
        "tail_keys",
        "tail_start",
        "tail_ts",
        "too_old",
        "ts",
        "vals",
        "version",
        "without_value",
    )

    def __init__(self, cap: int = 2**62) -> None:
        self.cap = cap
        """Most points kept; the oldest go first."""
        self.ts = array("q")
        self.vals = array("d")
        self.raw = array("d")
        """The raw value of each point (NaN: the source had none)."""
        self.meta = bytearray()
        self.keys = array("q")
        self.head = 0
        """Index of the first live point; the ones before it are evicted."""
        self.dropped = 0
        """Points ever evicted from the front: the absolute position of ``head``."""
        self.version = 0
        self.epoch = 0
        self.checkpoints: list[tuple[int, int, int]] = []
        self.pending: list[tuple[int, float, int, int, float]] = []
        self.pending_keys: set[int] = set()
        """Keys of ``pending``, so a write cannot queue one event twice."""
        self.reset = False
        self.dirty = False
        self.added = 0
        """Points the current write added (then ``duplicates``, ``too_old``): see :meth:`add`."""
        self.duplicates = 0
        self.too_old = 0
        self.history_points = 0
        self.live_points = 0
        self.live_received = 0
        """Live events ever added (never decreases; the cadence learns from it)."""
        self.newest_ms = NEVER
        self.without_value = 0
        self.committed = 0
        """Absolute end position at the last commit: pages may hold every point before it."""
        self.tail_ts = NEVER
        """Timestamp the tail cache below describes; any other value means "rebuild it"."""
        self.tail_start = 0
        self.tail_keys: set[int] = set()
        """Keys of the points at ``tail_ts`` (the newest timestamp), from ``tail_start``."""
        self.buckets = Buckets()
        """Rolled buckets' event counts (:mod:`app.stores.rollup` writes them)."""
        self.rolled_ms = NEVER
        """Every live point before this has been through a roll-up."""
        self.late_ms = NO_LATE
        """Oldest live point placed before ``rolled_ms`` since the last roll-up."""
        self.rolled_events = 0
        """Live points ever folded into roll-up buckets (gone from the columns)."""

    def __len__(self) -> int:
        return len(self.ts) - self.head

    @property
    def keyset(self) -> set[int]:
        """The dedupe keys of the points kept (a white-box view for tests; O(n))."""
        return set(self.keys[self.head :])

    def add(self, ts: int, value: float, meta: int, key: int, raw: float = NAN) -> None:
        """Merge one point: the one append path of live events, catch-up and history.

        Counts the outcome in ``added``, ``duplicates`` or ``too_old`` (a full column would
        evict it at once) for the store to collect when the write ends. Extending the right
        edge, the live case, is four appends; any other point is looked up at its own
        timestamp, the only place a duplicate can be, and inserted in place (queued until
        :meth:`flush_pending`).
        """
        col = self.ts
        if col and ts > col[-1]:
            col.append(ts)
            self.vals.append(value)
            self.raw.append(raw)
            self.meta.append(meta)
            self.keys.append(key)
        elif col and ts == col[-1]:
            if not self.at_tail(ts, value, meta, key, raw):
                self.duplicates += 1
                return
        elif self.has(ts, key):
            self.duplicates += 1
            return
        elif len(col) - self.head >= self.cap and ts < col[self.head]:
            self.too_old += 1
            return
        else:
            self.place(ts, value, meta, key, raw)
        self.added += 1

    def at_tail(self, ts: int, value: float, meta: int, key: int, raw: float) -> bool:
        """Add a point at the newest timestamp (``ts == ts[-1]``); False for a duplicate.

        Busy streams get many events a millisecond. Their keys are kept in a set for that
        millisecond and a point that ranks below the last one is inserted among them, in
        place, as long as that is past what pages were already sent: no scan per event and
        no reset of the chart. Anything else (a gap marker at that time, a position pages
        already hold) takes the general path.
        """
        col = self.ts
        if self.tail_ts != ts:
            start = bisect_left(col, ts, self.head)
            self.tail_keys = set(self.keys[start:])
            self.tail_start = start
            self.tail_ts = ts
        keys = self.tail_keys
        if key in keys or (self.pending and key in self.pending_keys):
            return False
        vals, meta_col = self.vals, self.meta
        last = vals[-1]
        if value > last or (value == last and meta >= meta_col[-1]):
            col.append(ts)
            vals.append(value)
            self.raw.append(raw)
            meta_col.append(meta)
            self.keys.append(key)
            keys.add(key)
            return True
        start = self.tail_start
        i = bisect_right(vals, value, start, len(col))
        while i > start and vals[i - 1] == value and meta_col[i - 1] > meta:
            i -= 1
        if value != value or last != last or i < self.committed - self.dropped + self.head:
            self.place(ts, value, meta, key, raw)  # NaN ranks apart; sent points must not move
            return True
        col.insert(i, ts)
        vals.insert(i, value)
        self.raw.insert(i, raw)
        meta_col.insert(i, meta)
        self.keys.insert(i, key)
        keys.add(key)
        return True

    def has(self, ts: int, key: int) -> bool:
        """Whether a point with ``key`` is kept or queued; only ``ts`` can hold it."""
        col = self.ts
        end = len(col)
        if end > self.head and ts <= col[-1]:
            keys = self.keys
            i = bisect_left(col, ts, self.head)
            while i < end and col[i] == ts:
                if keys[i] == key:
                    return True
                i += 1
        return bool(self.pending) and key in self.pending_keys

    def end(self) -> int:
        """Absolute position one past the newest point."""
        return self.dropped + len(self.ts) - self.head

    def count(self, meta: int, delta: int) -> None:
        code = meta // 4
        if code in HISTORY_CODES:
            self.history_points += delta
        elif code in LIVE_CODES:
            self.live_points += delta

    def place(self, ts: int, value: float, meta: int, key: int, raw: float = NAN) -> None:
        """Append at the right edge when order allows, else queue an in-place insert."""
        col = self.ts
        if (
            len(col) == self.head
            or ts > col[-1]
            or (ts == col[-1] and rank(value, meta) >= rank(self.vals[-1], self.meta[-1]))
        ):
            col.append(ts)
            self.vals.append(value)
            self.raw.append(raw)
            self.meta.append(meta)
            self.keys.append(key)
            self.tail_ts = NEVER
        else:
            self.pending.append((ts, value, meta, key, raw))
            self.pending_keys.add(key)
        if ts < self.rolled_ms and ts < self.late_ms:
            self.late_ms = ts

    def flush_pending(self) -> None:
        """Insert the queued out-of-order points; makes this write a reset."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        self.pending_keys.clear()
        self.reset = True
        self.tail_ts = NEVER
        if len(pending) > BULK_MERGE:
            h = self.head
            columns = (self.ts[h:], self.vals[h:], self.meta[h:], self.keys[h:], self.raw[h:])
            rows = list(zip(*columns, strict=True))
            rows.extend(pending)
            rows.sort(key=lambda r: (r[0], *rank(r[1], r[2])))
            self.ts = array("q", [r[0] for r in rows])
            self.vals = array("d", [r[1] for r in rows])
            self.meta = bytearray(r[2] for r in rows)
            self.keys = array("q", [r[3] for r in rows])
            self.raw = array("d", [r[4] for r in rows])
            self.head = 0
            return
        for ts, value, meta, key, raw in pending:
            i = self._index_for(ts, value, meta)
            self.ts.insert(i, ts)
            self.vals.insert(i, value)
            self.raw.insert(i, raw)
            self.meta.insert(i, meta)
            self.keys.insert(i, key)

    def _index_for(self, ts: int, value: float, meta: int) -> int:
        lo = bisect_left(self.ts, ts, self.head)
        hi = bisect_right(self.ts, ts, lo)
        own = rank(value, meta)
        while lo < hi and rank(self.vals[lo], self.meta[lo]) <= own:
            lo += 1
        return lo

    def trim_front(self, cutoff_ms: int | None) -> int:
        """Evict points older than ``cutoff_ms`` and beyond ``cap``; returns how many."""
        ts, start = self.ts, self.head
        stop = start
        if cutoff_ms is not None and stop < len(ts) and ts[stop] < cutoff_ms:
            stop = bisect_left(ts, cutoff_ms, stop)
        stop = max(stop, len(ts) - self.cap)
        if stop <= start:
            return 0
        meta = self.meta
        gone = meta[start:stop]
        self.history_points -= sum(map(gone.count, HISTORY_METAS))
        self.live_points -= sum(map(gone.count, LIVE_METAS))
        self.head = stop
        self.dropped += stop - start
        self.tail_ts = NEVER
        if self.buckets:
            self.buckets.forget_before(ts[stop] if stop < len(ts) else NO_LATE)
        if stop >= COMPACT_AT and stop * 2 >= len(ts):
            del ts[:stop], self.vals[:stop], meta[:stop], self.keys[:stop], self.raw[:stop]
            self.head = 0
        return stop - start

    def remove(self, key: int, ts: int) -> bool:
        """Remove the point with ``key`` at ``ts`` (a gap marker); makes this write a reset."""
        lo = bisect_left(self.ts, ts, self.head)
        for i in range(lo, bisect_right(self.ts, ts, lo)):
            if self.keys[i] == key:
                self.count(self.meta[i], -1)
                del self.ts[i], self.vals[i], self.meta[i], self.keys[i], self.raw[i]
                self.reset = True
                self.tail_ts = NEVER
                return True
        return False

    def commit(self, version: int) -> None:
        """Record this write under ``version``: a checkpoint, or a new epoch on a reset."""
        self.version = version
        self.dirty = False
        if self.reset:
            self.reset = False
            self.epoch = version
            self.checkpoints.clear()
        cps = self.checkpoints
        self.committed = self.end()
        cps.append((version, self.committed, self.dropped))
        if len(cps) > 2 * CHECKPOINTS:
            del cps[:CHECKPOINTS]

    def changes_since(self, version: int, now: int) -> Delta:
        """What changed since global ``version`` (the store's is ``now``): O(new points)
        for appends, the whole series after a reset or past the checkpoint log."""
        if version > now or version < self.epoch:
            return Delta(now, True, self.points())
        if version >= self.version:
            return Delta(now, False, [])
        cps = self.checkpoints
        i = bisect_right(cps, version, key=first) - 1
        if i < 0:
            return Delta(now, True, self.points())
        _, end_then, dropped_then = cps[i]
        trimmed = min(self.dropped, end_then) - dropped_then
        first_new = max(end_then, self.dropped)
        return Delta(now, False, self.points(self.head + first_new - self.dropped), trimmed)

    def span(self, start_ms: int | None, end_ms: int | None) -> tuple[int, int]:
        """List indexes of the points from ``start_ms`` up to and including ``end_ms``
        (None: from the first, to the last)."""
        i = self.head if start_ms is None else bisect_left(self.ts, start_ms, self.head)
        j = len(self.ts) if end_ms is None else bisect_right(self.ts, end_ms, i)
        return i, j

    def latest(self) -> tuple[int, float, float] | None:
        """``(ts_ms, normalized, raw)`` of the newest point with a value (raw NaN: none)."""
        vals = self.vals
        for i in range(len(self.ts) - 1, self.head - 1, -1):
            if vals[i] == vals[i]:  # gap markers are NaN
                return self.ts[i], vals[i], self.raw[i]
        return None

    def points(self, start: int | None = None, stop: int | None = None) -> list[Point]:
        """Points from list index ``start`` (default: the first live one) to ``stop``
        (default: the end)."""
        i = self.head if start is None else start
        j = len(self.ts) if stop is None else stop
        return list(map(point, self.ts[i:j], self.vals[i:j], self.meta[i:j], self.raw[i:j]))


def first(checkpoint: tuple[int, int, int]) -> int:
    """The version of a checkpoint (the key its log is searched by)."""
    return checkpoint[0]
