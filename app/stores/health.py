"""Every followed stream's health, computed once for every tab and the status API.

A :class:`HealthBoard` is ticked by one app-wide task (about twice a second). Each tick it
reads the stream store and the connection store and derives, per followed stream, what the
status grid shows: a state, the last normalized and raw values, when data last came and
when a silence turns stale (:mod:`app.stores.cadence`). Pages never compute any of it: they
ask for what changed since the version they hold, like the chart does with the store.

States, from the last normalized value (50 is the stream's usual level for the time of day,
15 points are one standard deviation): ``normal`` 40-60, ``warning`` 30-40 or 60-70,
``critical`` below 30 or above 70; ``stale`` when silent past the stream's own threshold;
``nodata`` when there is no value at all.

While the link is down, and after it is back until fresh data arrives, the board is
*frozen*: ``data_as_of`` says when the data on screen was last fresh.
"""

from __future__ import annotations

import itertools
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from app.facts import StreamFacts
from app.protocol.topics import expand, is_stream_name, may_deliver
from app.stores.cadence import MIN_EVENTS, Cadence, stale_after
from app.stores.connection import ConnectionState, ConnectionStore
from app.stores.streams import StreamStore

State = Literal["normal", "warning", "critical", "stale", "nodata"]
STATES: tuple[State, ...] = ("normal", "warning", "critical", "stale", "nodata")
SPARK_BUCKET_MS = 300_000
SPARK_SPAN_MS = 6 * 3_600_000


def level(value: float) -> State:
    """The state a normalized value alone gives: normal, warning or critical."""
    distance = abs(value - 50.0)
    if distance <= 10.0:
        return "normal"
    if distance <= 20.0:
        return "warning"
    return "critical"


@dataclass(frozen=True, slots=True)
class Cell:
    """What the grid shows of one stream; equal cells need no update in the browser."""

    stream: str
    state: State
    value: float | None
    """The last normalized value, to one decimal."""
    since: float | None
    """Epoch s: since when the stream is stale (its last fresh data) or has had no data."""


@dataclass(slots=True)
class _Watch:
    """The board's running knowledge of one stream."""

    cadence: Cadence
    received: int = 0
    newest_ms: int | None = None
    fresh_at: float | None = None
    """Local time the stream's newest server timestamp last moved forward."""
    history_read: bool = False
    """The stream's history taught its cadence its starting rate (streams the catalog lacks)."""


@dataclass(frozen=True, slots=True)
class Detail:
    """Everything the hover card says about one stream (built on demand)."""

    stream: str
    state: State
    value: float | None
    raw: float | None
    deviation: float | None
    """Standard deviations from the usual level: (normalized - 50) / 15."""
    last_point_ms: int | None
    fresh_at: float | None
    interval_s: float | None
    stale_after_s: float | None
    spark: list[tuple[int, float | None]] = field(default_factory=list)
    """The last 6 hours in 5-minute means of the normalized value, oldest first."""


class HealthBoard:
    """See the module docstring. Not thread-safe: tick and read it on the event loop."""

    def __init__(
        self,
        streams: StreamStore,
        connection: ConnectionStore,
        facts: StreamFacts,
        topics: Callable[[], Iterable[str]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._streams = streams
        self._connection = connection
        self._facts = facts
        self._topics = topics
        self._clock = clock
        self._watches: dict[str, _Watch] = {}
        self._followed: list[str] = []
        self._followed_key: tuple[tuple[str, ...], int] | None = None
        self._cells: dict[str, Cell] = {}
        self._changed_at: dict[str, int] = {}
        self.version = 0
        self.started_at = clock()
        """When the board started following (epoch s): "no data since" counts from here."""
        self._connected = False
        self.data_as_of: float | None = None
        """Set while the data on screen may be old (link down, or no fresh data since)."""
        self._events_at_freeze = 0

    # --- ticking ---------------------------------------------------------------------------

    def followed(self) -> list[str]:
        """The streams the grid shows: what the topics deliver in full, known or seen.

        Worked out again only when the topics or the set of streams seen change (every tab
        asks several times a second).
        """
        topics = tuple(self._topics())
        key = (topics, self._streams.stream_count())
        if key != self._followed_key:
            full = expand(topics, self._facts.names)
            seen = [s for s in self._streams.stream_names() if may_deliver(topics, s)]
            self._followed = [s for s in dict.fromkeys([*full, *seen]) if is_stream_name(s)]
            self._followed_key = key
        return list(self._followed)

    def tick(self) -> int:
        """Recompute every followed stream; returns the version (bumped if a cell changed)."""
        now = self._clock()
        self._follow_link(now)
        changed = False
        for stream in self.followed():
            cell = self._cell(stream, self._watch(stream, now), now)
            if self._cells.get(stream) != cell:
                self._cells[stream] = cell
                changed = True
                self._changed_at[stream] = self.version + 1
        if changed:
            self.version += 1
        return self.version

    def _follow_link(self, now: float) -> None:
        conn = self._connection
        connected = conn.state is ConnectionState.CONNECTED
        if self._connected and not connected:
            for watch in self._watches.values():
                watch.cadence.pause()
        if not connected and self.data_as_of is None:
            self.data_as_of = conn.last_message_at or now
            self._events_at_freeze = conn.events_received
        elif connected and conn.events_received > self._events_at_freeze:
            self.data_as_of = None  # fresh data since the link came back
        self._connected = connected

    def _watch(self, stream: str, now: float) -> _Watch:
        watch = self._watches.get(stream)
        if watch is None:
            watch = self._watches[stream] = _Watch(Cadence(self._facts.rate_model(stream)))
        if watch.cadence.model is None and not watch.cadence.seen and not watch.history_read:
            watch.history_read = self._learn_history(stream, watch.cadence, now)
        received = self._streams.live_received(stream)
        if received > watch.received:
            watch.cadence.observe(received - watch.received, now)
            watch.received = received
        newest = self._streams.newest_event_ms(stream)
        if newest is not None and (watch.newest_ms is None or newest > watch.newest_ms):
            watch.newest_ms = newest
            watch.fresh_at = now
        return watch

    def _learn_history(self, stream: str, cadence: Cadence, now: float) -> bool:
        """Once a stream has history, its median point spacing over the last day."""
        if self._streams.stats(stream).history_points < MIN_EVENTS:
            return False
        stamps, _ = self._streams.window(stream, int((now - 86_400) * 1000))
        spacing = sorted(b - a for a, b in itertools.pairwise(stamps) if b > a)
        if spacing:
            cadence.learn_history(spacing[len(spacing) // 2] / 1000)
        return True

    def _cell(self, stream: str, watch: _Watch, now: float) -> Cell:
        latest = self._streams.latest(stream)
        value = None if latest is None else round(latest[1], 1)
        fresh = watch.fresh_at if watch.fresh_at is not None else self.started_at
        limit = self._stale_after(watch, now)
        if limit is not None and now - fresh > limit:
            return Cell(stream, "stale", value, fresh)
        if value is None:
            return Cell(stream, "nodata", None, self.started_at)
        return Cell(stream, level(value), value, None)

    @staticmethod
    def _stale_after(watch: _Watch, now: float) -> float | None:
        interval = watch.cadence.interval_s(now)
        return None if interval is None else stale_after(interval)

    # --- reads ----------------------------------------------------------------------------

    def cells(self) -> list[Cell]:
        """Every followed stream's cell, in no particular order (group them for display)."""
        return list(self._cells.values())

    def cell(self, stream: str) -> Cell | None:
        return self._cells.get(stream)

    def changes_since(self, version: int) -> list[Cell]:
        """The cells changed after ``version`` (all of them for a version the board never had)."""
        if version <= 0 or version > self.version:
            return self.cells()
        return [c for s, c in self._cells.items() if self._changed_at.get(s, 0) > version]

    def detail(self, stream: str) -> Detail | None:
        """The hover card of ``stream``: values, deviation, freshness, cadence, sparkline."""
        cell = self._cells.get(stream)
        watch = self._watches.get(stream)
        if cell is None or watch is None:
            return None
        now = self._clock()
        latest = self._streams.latest(stream)
        raw = None if latest is None or latest[2] != latest[2] else latest[2]
        return Detail(
            stream=stream,
            state=cell.state,
            value=cell.value,
            raw=raw,
            deviation=None if cell.value is None else round((cell.value - 50.0) / 15.0, 2),
            last_point_ms=None if latest is None else latest[0],
            fresh_at=watch.fresh_at,
            interval_s=watch.cadence.interval_s(now),
            stale_after_s=self._stale_after(watch, now),
            spark=self.spark(stream, int(now * 1000)),
        )

    def spark(self, stream: str, now_ms: int) -> list[tuple[int, float | None]]:
        """5-minute means of the normalized value over the last 6 hours (None: no point)."""
        first = (now_ms - SPARK_SPAN_MS) // SPARK_BUCKET_MS * SPARK_BUCKET_MS
        ts, vals = self._streams.window(stream, first)
        out: list[tuple[int, float | None]] = []
        lo = 0
        for start in range(first, now_ms + 1, SPARK_BUCKET_MS):
            hi = bisect_left(ts, start + SPARK_BUCKET_MS, lo)
            chunk = vals[lo:hi]
            total = sum(chunk)
            if total != total:  # a gap marker (NaN) among them
                chunk = array("d", [v for v in chunk if v == v])
                total = sum(chunk)
            out.append((start, round(total / len(chunk), 1) if chunk else None))
            lo = hi
        return out

    def interval_s(self, stream: str) -> float | None:
        """The learned expected interval of ``stream`` now (None: not known)."""
        watch = self._watches.get(stream)
        return None if watch is None else watch.cadence.interval_s(self._clock())

    def stale_after_s(self, stream: str) -> float | None:
        """The silence after which ``stream`` counts as stale now (None: no verdict yet)."""
        watch = self._watches.get(stream)
        return None if watch is None else self._stale_after(watch, self._clock())

    def fresh_at(self, stream: str) -> float | None:
        watch = self._watches.get(stream)
        return None if watch is None else watch.fresh_at
