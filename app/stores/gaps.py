"""The gap registry: every window of a stream that live data and catch-up did not cover.

Gaps are recorded by the connection manager (after a reconnect, per catch-up planning) and
moved along by the history loader's backfill: ``open`` -> ``filling`` -> ``filled`` or
``unfillable``. The registry keeps them and tells listeners of new ones; the stream store
owns it and draws each unfilled gap as a break in its stream's line (a marker point at the
gap's middle, see :func:`marker_ts` and :func:`marker_key`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.stores.types import Gap

log = logging.getLogger(__name__)

GapListener = Callable[[Gap], None]
"""Told of each gap as it is recorded; must not block (schedule work, do not do it)."""


class GapRegistry:
    """Gaps by id, oldest first, and the listeners of new ones."""

    def __init__(self) -> None:
        self._gaps: dict[int, Gap] = {}
        self._next = 1
        self._listeners: list[GapListener] = []

    def add(self, stream: str, start_ms: int, end_ms: int) -> Gap:
        """A new ``open`` gap; raises ValueError for an empty window."""
        if end_ms <= start_ms:
            raise ValueError(f"gap end {end_ms} is not after its start {start_ms}")
        gap = Gap(self._next, stream, start_ms, end_ms)
        self._next += 1
        self._gaps[gap.id] = gap
        return gap

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
        for gap_id in [g.id for g in self._gaps.values() if g.end_ms < cutoff_ms]:
            del self._gaps[gap_id]

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


def marker_ts(gap: Gap) -> int:
    """Where a gap's break point sits: the middle of its window."""
    return (gap.start_ms + gap.end_ms) // 2


def marker_key(gap: Gap) -> int:
    """The dedupe key of a gap's break point (no event can share it)."""
    return hash(("gap", gap.id))
