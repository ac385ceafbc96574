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


GapState = Literal["open", "filling", "filled", "unfillable"]


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
    """A window of one stream that live data and catch-up did not cover."""

    id: int
    stream: str
    start_ms: int
    end_ms: int
    state: GapState = "open"


class EventSink(Protocol):
    """What the connection manager and the history loader need from the stream store."""

    def add_events(
        self, events: Sequence[StreamEvent], source: Source = Source.LIVE
    ) -> AddResult: ...

    def add_history(
        self, streams: Mapping[str, Sequence[HistorySample]], source: Source = Source.HISTORY
    ) -> AddResult: ...

    def record_gap(self, stream: str, start_ms: int, end_ms: int) -> Gap: ...

    def newest_event_ms(self, stream: str | None = None) -> int | None: ...


class HistorySink(Protocol):
    """What the history loader needs from the stream store: merge samples, tend gaps."""

    def add_history(
        self, streams: Mapping[str, Sequence[HistorySample]], source: Source = Source.HISTORY
    ) -> AddResult: ...

    def gaps(self, stream: str | None = None) -> list[Gap]: ...

    def set_gap_state(self, gap_id: int, state: GapState) -> Gap: ...

    def on_gap(self, listener: Callable[[Gap], None]) -> Callable[[], None]: ...
