"""Types shared by the stores and their writers (connection manager, history loader)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

from app.protocol import HistorySample, StreamEvent

FUTURE_TOLERANCE_MS = 3_600_000
"""Live events dated further ahead of the local clock than this are dropped as implausible."""


class Source(StrEnum):
    """Where a point of a series came from; ``gap`` marks a hole nobody could fill."""

    HISTORY = "history"
    LIVE = "live"
    CATCHUP = "catchup"
    BACKFILL = "backfill"
    GAP = "gap"
    ROLLUP = "rollup"
    """A live point kept as one of its time bucket's few (lowest, highest, critical, last)
    when the bucket's other points were rolled up (see :mod:`app.stores.rollup`)."""


GapState = Literal["open", "filling", "filled", "unfillable", "recovered"]
"""A ledger entry's state: a gap (``open`` -> ``filling`` -> ``filled`` or ``unfillable``),
or an interruption catch-up made whole (``recovered``, never a gap)."""


@dataclass(frozen=True, slots=True)
class AddResult:
    """What one write did: points added, duplicates dropped, points too old to keep, and
    events dated too far in the future to be believed (dropped, never stored)."""

    added: int = 0
    duplicates: int = 0
    stale: int = 0
    future: int = 0


@dataclass(slots=True)
class Gap:
    """An entry of the interruption ledger: a window of one stream where the live feed was
    interrupted, and how it was closed. A gap unless ``state`` is ``recovered``."""

    id: int
    stream: str
    start_ms: int
    end_ms: int
    state: GapState = "open"
    count: int = 0
    """Events catch-up replayed into it (``recovered``) or points backfilled (``filled``)."""


class EventSink(Protocol):
    """What the connection manager and the history loader need from the stream store."""

    def add_events(
        self, events: Sequence[StreamEvent], source: Source = Source.LIVE
    ) -> AddResult: ...

    def add_history(
        self, streams: Mapping[str, Sequence[HistorySample]], source: Source = Source.HISTORY
    ) -> AddResult: ...

    def record_gap(self, stream: str, start_ms: int, end_ms: int) -> Gap: ...

    def record_recovered(self, stream: str, start_ms: int, end_ms: int, events: int) -> Gap: ...

    def newest_event_ms(self, stream: str | None = None) -> int | None: ...


class HistorySink(Protocol):
    """What the history loader needs from the stream store: merge samples, tend gaps."""

    def add_history(
        self, streams: Mapping[str, Sequence[HistorySample]], source: Source = Source.HISTORY
    ) -> AddResult: ...

    def gaps(self, stream: str | None = None) -> list[Gap]: ...

    def set_gap_state(self, gap_id: int, state: GapState, count: int | None = None) -> Gap: ...

    def on_gap(self, listener: Callable[[Gap], None]) -> Callable[[], None]: ...
