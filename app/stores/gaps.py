"""The interruption ledger: every window of a stream where the live feed was interrupted,
and how it was closed.

After a reconnect the connection manager records, per stream, either a ``recovered`` entry
(the catch-up reply made the stream whole again: how many events it replayed) or a gap
(what live data and catch-up did not cover). The history loader moves gaps along by
backfill: ``open`` -> ``filling`` -> ``filled`` (with the points it brought) or
``unfillable``. The registry keeps them and tells listeners of new gaps; the stream store
owns it and draws each unfilled gap as a break in its stream's line (a marker point at the
gap's middle, see :func:`marker_ts` and :func:`marker_key`). :func:`outcome` says what an
entry means to an operator, once for the chart, the status API and the export.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from app.humanize import format_age
from app.stores.types import Gap, GapState

log = logging.getLogger(__name__)

GapListener = Callable[[Gap], None]
"""Told of each gap as it is recorded; must not block (schedule work, do not do it)."""

Outcome = Literal["recovered", "backfilled", "missing", "backfilling"]

MAX_ENTRIES = 20_000
"""Ledger entries kept at most (50 streams x 400 interruptions); the oldest go first."""


class GapRegistry:
    """Gaps by id, oldest first, and the listeners of new ones."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._gaps: dict[int, Gap] = {}
        self._next = 1
        self._max = max_entries
        self._listeners: list[GapListener] = []
        self.version = 0
        """Bumped by every new entry and every change of one (pages redraw on it)."""

    def add(
        self, stream: str, start_ms: int, end_ms: int, state: GapState = "open", count: int = 0
    ) -> Gap:
        """A new entry (an ``open`` gap by default); raises ValueError for an empty window."""
        if end_ms <= start_ms:
            raise ValueError(f"gap end {end_ms} is not after its start {start_ms}")
        gap = Gap(self._next, stream, start_ms, end_ms, state, count)
        self._next += 1
        self._gaps[gap.id] = gap
        while len(self._gaps) > self._max:
            del self._gaps[next(iter(self._gaps))]
        self.version += 1
        return gap

    def changed(self) -> None:
        """An entry's state or count changed."""
        self.version += 1

    def get(self, gap_id: int) -> Gap:
        """The gap ``gap_id``; raises KeyError once it is forgotten."""
        return self._gaps[gap_id]

    def all(self, stream: str | None = None) -> list[Gap]:
        """Gaps in every state, oldest first; only ``stream``'s if given."""
        return [g for g in self._gaps.values() if stream is None or g.stream == stream]

    def __len__(self) -> int:
        return len(self._gaps)

    def forget_before(self, cutoff_ms: int) -> None:
        """Drop gaps that ended before ``cutoff_ms`` (past retention, like their points)."""
        old = [g.id for g in self._gaps.values() if g.end_ms < cutoff_ms]
        for gap_id in old:
            del self._gaps[gap_id]
        if old:
            self.version += 1

    def on_gap(self, listener: GapListener) -> Callable[[], None]:
        """Call ``listener(gap)`` for every gap announced from now on; returns a remover."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def announce(self, gap: Gap) -> None:
        """Tell the listeners of ``gap``; a failing listener is logged, the others still hear."""
        for listener in list(self._listeners):
            try:
                listener(gap)
            except Exception:
                log.exception("gap listener %r failed", listener)


def is_gap(entry: Gap) -> bool:
    """A window that catch-up did not cover (every entry but the ``recovered`` ones)."""
    return entry.state != "recovered"


def outcome(entry: Gap) -> tuple[Outcome, str]:
    """What an entry means: its outcome, and the label the chart and the export show."""
    if entry.state == "recovered":
        return "recovered", f"recovered by catch-up ({_count(entry.count, 'event')})"
    if entry.state == "filled":
        return "backfilled", f"backfilled from history ({_count(entry.count, 'point')})"
    length = format_age((entry.end_ms - entry.start_ms) / 1000)
    if entry.state == "unfillable":
        return "missing", f"missing ({length})"
    return "backfilling", f"missing so far, backfilling ({length})"


def describe(entry: Gap, iso: Callable[[int], str]) -> dict[str, Any]:
    """An entry as the status API and the export list it, times written by ``iso``."""
    kind, label = outcome(entry)
    return {
        "stream": entry.stream,
        "start": iso(entry.start_ms),
        "end": iso(entry.end_ms),
        "seconds": round((entry.end_ms - entry.start_ms) / 1000, 1),
        "outcome": kind,
        "count": entry.count,
        "label": label,
    }


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def marker_ts(gap: Gap) -> int:
    """Where a gap's break point sits: the middle of its window."""
    return (gap.start_ms + gap.end_ms) // 2


def marker_key(gap: Gap) -> int:
    """The dedupe key of a gap's break point (no event can share it)."""
    return hash(("gap", gap.id))
