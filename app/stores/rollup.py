"""Roll-ups: a week of every stream in bounded memory.

Live points (live and catch-up) stay raw for a recent window (``raw_window_ms``). Older
ones are rolled up by time bucket (``bucket_ms``): a bucket that held more than
:data:`KEEP` live points keeps only its lowest, its highest, its first critical and its
last point, marked :attr:`Source.ROLLUP`, and the count of live events it stood for is kept
in the column's :class:`Buckets`. The kept points are real events (value, raw value, flag,
time), so the line still passes through every spike and dip and a tooltip never shows a
made-up value. History, backfill and gap markers are never rolled: history is already at
its own (5-minute) resolution.

A busy stream then costs at most ``KEEP`` points per bucket however fast it is: at 1-minute
buckets, about 40,000 points for a week, against over a million raw.

A roll-up rewrites the middle of a column, so pages get the stream afresh (a reset); to keep
that rare, a stream is rolled only once a further half raw window is due (so at most every
30 minutes at the default hour), or when a late point lands among its roll-ups, or when it
nears its cap (then the raw window shrinks for that stream, rather than the oldest days
being dropped). Work is cut into steps of at most :data:`STEP_ROWS` rows, so the event loop
is never held for long.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.stores.column import NEVER, NO_LATE, Column
from app.stores.points import FLAG_CODE, LIVE_CODES, ROLLUP_CODE

KEEP = 4
"""Most points a rolled bucket keeps: lowest, highest, first critical, last."""
STEP_ROWS = 20_000
"""Rows one step examines at most (a few tens of milliseconds of work)."""
CRITICAL = FLAG_CODE["critical"]
"""Flag code of ``critical`` in a point's ``meta``."""


@dataclass(frozen=True, slots=True)
class RollupPolicy:
    """How long live points stay raw and how wide a roll-up bucket is."""

    raw_window_ms: int = 3_600_000
    bucket_ms: int = 60_000

    def __post_init__(self) -> None:
        if self.raw_window_ms <= 0 or self.bucket_ms <= 0:
            raise ValueError("the raw window and the roll-up bucket must be positive")

    def boundary(self, c: Column, now_ms: int) -> int | None:
        """The bucket edge before which ``c``'s live points are rolled now, or None (not due).

        Due when half a raw window more has aged past it since the last roll-up, when a late
        point landed among the roll-ups, or when the column nears its cap (then the newest
        quarter of the cap stays raw, whatever its age).
        """
        edge = self.floor(now_ms - self.raw_window_ms)
        n = len(c.ts)
        pressed = n - c.head > c.cap * 3 // 4
        if pressed:
            edge = max(edge, self.floor(c.ts[n - c.cap // 4]))
        late = c.late_ms < c.rolled_ms
        if pressed or late or edge - c.rolled_ms >= self.raw_window_ms // 2:
            return edge if edge > min(c.rolled_ms, c.late_ms) else None
        return None

    def floor(self, ms: int) -> int:
        return ms - ms % self.bucket_ms

    def step(
        self,
        columns: Iterable[Column],
        now_ms: int,
        commit: Callable[[list[Column]], None],
        max_rows: int = STEP_ROWS,
    ) -> int:
        """One :func:`roll_step` on the first column due, committed through ``commit`` if it
        rewrote points; the rows examined (0: no column is due)."""
        for c in columns:
            edge = self.boundary(c, now_ms)
            if edge is not None:
                rows = roll_step(c, edge, self.bucket_ms, max_rows)
                if c.reset:
                    commit([c])
                if rows:
                    return rows
        return 0


def roll_step(c: Column, edge: int, bucket_ms: int, max_rows: int = STEP_ROWS) -> int:
    """Roll ``c``'s live points before ``edge`` up, at most ``max_rows`` rows' worth.

    Returns the rows examined (0 when nothing was left to do). Sets ``c.reset`` when points
    were rewritten; the caller commits. ``c.rolled_ms`` advances to where this step ended.
    """
    if not len(c):  # nothing to roll: not due again until half a window more has passed
        c.rolled_ms, c.late_ms = max(c.rolled_ms, edge), NO_LATE
        return 0
    before = c.rolled_ms
    start = c.ts[c.head] if before == NEVER else max(min(before, c.late_ms), c.ts[c.head])
    start -= start % bucket_ms
    ts = c.ts
    lo = bisect_left(ts, start, c.head)
    hi = bisect_left(ts, edge, lo)
    stop = edge
    if hi - lo > max_rows:
        # At most max_rows rows, even inside one bucket (at 7,600 events/s a minute holds
        # 456,000): the next step starts again at that bucket's start, where its points
        # rolled so far are a few roll-up rows, and folds the rest in.
        hi = lo + max_rows
        stop = ts[hi]
        hi = bisect_left(ts, stop, lo, hi) if stop > ts[lo] else hi
    if stop < before:  # late points may remain in [stop, before)
        c.late_ms = stop
    else:
        c.late_ms, c.rolled_ms = NO_LATE, stop
    if hi <= lo:
        return 0
    kept, metas, removed = _select(c, lo, hi, bucket_ms)
    if removed or metas:
        _rewrite(c, lo, hi, kept, metas)
        c.live_points -= removed
        c.rolled_events += removed
    return hi - lo


def _select(c: Column, lo: int, hi: int, bucket_ms: int) -> tuple[list[int], dict[int, int], int]:
    """Rows of ``[lo, hi)`` to keep, the new ``meta`` of rows that become roll-ups, and how
    many rows go."""
    ts, meta = c.ts, c.meta
    buckets = c.buckets
    kept: list[int] = []
    metas: dict[int, int] = {}
    removed = 0
    i = lo
    while i < hi:
        first = ts[i] - ts[i] % bucket_ms
        end = bisect_left(ts, first + bucket_ms, i, hi)
        live = [k for k in range(i, end) if meta[k] >> 2 in LIVE_CODES]
        rolled = any(meta[k] >> 2 == ROLLUP_CODE for k in live)
        if len(live) <= KEEP and not rolled:
            kept.extend(range(i, end))
        else:
            chosen = _chosen(c, live)
            fresh = sum(1 for k in live if meta[k] >> 2 != ROLLUP_CODE)
            buckets.put(first, (buckets.get(first) if rolled else 0) + fresh)
            live_set = set(live)
            for k in range(i, end):
                if k not in live_set:
                    kept.append(k)
                elif k in chosen:
                    kept.append(k)
                    metas[k] = 4 * ROLLUP_CODE + meta[k] % 4
            removed += len(live) - len(chosen)
        i = end
    return kept, metas, removed


def _chosen(c: Column, live: list[int]) -> set[int]:
    vals, meta = c.vals, c.meta
    chosen = {min(live, key=vals.__getitem__), max(live, key=vals.__getitem__), live[-1]}
    critical = next((k for k in live if meta[k] % 4 == CRITICAL), None)
    if critical is not None:
        chosen.add(critical)
    return chosen


def _rewrite(c: Column, lo: int, hi: int, kept: list[int], metas: dict[int, int]) -> None:
    ts, vals, raw, keys = c.ts, c.vals, c.raw, c.keys
    c.ts[lo:hi] = array("q", [ts[k] for k in kept])
    c.vals[lo:hi] = array("d", [vals[k] for k in kept])
    c.raw[lo:hi] = array("d", [raw[k] for k in kept])
    c.keys[lo:hi] = array("q", [keys[k] for k in kept])
    c.meta[lo:hi] = bytes(metas.get(k, c.meta[k]) for k in kept)
    c.reset = True
    c.tail_ts = NEVER
